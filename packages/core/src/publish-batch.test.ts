import { describe, expect, it } from 'vitest';
import { ErrorInfo, type Message } from '@rowcast/protocol';
import { createAuthenticator } from './auth/index.js';
import { RealtimeNode } from './node.js';
import type { AcceptedEvent, AcceptedMessage, TrustedBatch } from './node-api.js';

/**
 * The bulk path for trusted in-process publishers (RealtimeNode.publishBatch) against the normal one: the same
 * accepted messages, refusals, duplicate dropping, hooks and ordering, at a per-batch cost.
 */

const auth = createAuthenticator({ keys: [{ name: 'a.b', secret: 'secretsecret', capability: { '*': ['*'] } }] });

function newNode(maxMessageSize?: number) {
  const node = new RealtimeNode({ auth, config: maxMessageSize ? { maxMessageSize } : {} });
  const events: AcceptedEvent[] = [];
  node.onAccepted((e) => void events.push(e));
  return { node, events };
}

/** Messages of a channel, oldest first. */
async function historyOf(node: RealtimeNode, channel: string): Promise<AcceptedMessage[]> {
  return (await node.history(channel, { direction: 'forwards', limit: 1000 })).items;
}

/** The normal path's messages for the same content as `batch`. */
function asMessages(batch: TrustedBatch): Message[] {
  return batch.data.map((data, k) => ({ id: `${batch.idBase}:${(batch.first ?? 0) + k}`, name: batch.name, data }));
}

async function refusal(p: Promise<unknown>): Promise<{ code: number; statusCode: number }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ErrorInfo);
  const { code, statusCode } = err as ErrorInfo;
  return { code, statusCode };
}

describe('RealtimeNode.publishBatch', () => {
  it('accepts the messages `publish` would: same ids, fields and history entries; serials in order; hooks see them', async () => {
    const { node, events } = newNode();
    const batch = { idBase: 'pg.0000000001000000.0.tag', name: 'row', data: ['{"a":1}', '', 'ünï 😀'] };
    const bulk = await node.publishBatch('bulk', batch);
    const normal = await node.publish('normal', asMessages(batch), {});
    const [viaBulk, viaNormal] = [await historyOf(node, 'bulk'), await historyOf(node, 'normal')];
    const comparable = (m: AcceptedMessage) => ({ ...m, serial: undefined, timestamp: typeof m.timestamp });
    expect(viaBulk.map(comparable)).toEqual(viaNormal.map(comparable));
    expect(viaBulk.map((m) => m.id)).toEqual(['pg.0000000001000000.0.tag:0', 'pg.0000000001000000.0.tag:1', 'pg.0000000001000000.0.tag:2']);
    expect(viaBulk.map((m) => m.data)).toEqual(batch.data);
    expect(bulk.serials).toEqual(viaBulk.map((m) => m.serial));
    expect(normal.serials).toHaveLength(3);
    expect([...bulk.serials].sort()).toEqual(bulk.serials);
    // hooks ran before the publish resolved, with the accepted (serial-stamped) messages
    expect(events[0]).toEqual({ kind: 'message', channel: 'bulk', messages: viaBulk });
    await node.close();
  });

  it('keeps ids of a part published alone (`first`) and omits a name that is not given', async () => {
    const { node } = newNode();
    await node.publishBatch('part', { idBase: 'base', first: 7, data: ['x', 'y'] });
    const items = await historyOf(node, 'part');
    expect(items.map((m) => m.id)).toEqual(['base:7', 'base:8']);
    expect(items.every((m) => !('name' in m))).toBe(true);
    await node.close();
  });

  it('refuses a message over maxMessageSize with 40009, as `publish` does, counting UTF-8 bytes; nothing is published or recorded', async () => {
    const { node, events } = newNode(100);
    // name 1 byte + 'é' (2 bytes) x 49 = 99 fits; x 50 = 101 does not, though only 51 UTF-16 units long
    const fits = 'é'.repeat(49);
    const over = 'é'.repeat(50);
    expect(await refusal(node.publishBatch('sized', { idBase: 'b', name: 'n', data: [fits, over] }))).toEqual({ code: 40009, statusCode: 400 });
    expect(
      await refusal(
        node.publish(
          'sized',
          [
            { id: 'b:0', name: 'n', data: fits },
            { id: 'b:1', name: 'n', data: over },
          ],
          {},
        ),
      ),
    ).toEqual({
      code: 40009,
      statusCode: 400,
    });
    expect(await historyOf(node, 'sized')).toEqual([]);
    expect(events).toEqual([]);
    // the refused batch recorded no idempotency: the same ids with content that fits are accepted
    const ok = await node.publishBatch('sized', { idBase: 'b', name: 'n', data: [fits, 'a'.repeat(99)] });
    expect(ok.serials.every((s) => typeof s === 'string')).toBe(true);
    expect((await historyOf(node, 'sized')).map((m) => m.data)).toEqual([fits, 'a'.repeat(99)]);
    await node.close();
  });

  it('refuses a malformed batch with 40000', async () => {
    const { node } = newNode();
    const bad = [
      { idBase: '', data: ['x'] },
      { idBase: 'b', data: [] },
      { idBase: 'b', data: [1] },
      { idBase: 'b', first: -1, data: ['x'] },
      { idBase: 'b', name: 5, data: ['x'] },
    ] as unknown as TrustedBatch[];
    for (const batch of bad) expect((await refusal(node.publishBatch('bad', batch))).code).toBe(40000);
    await node.close();
  });

  it('drops a re-sent batch whole (all serials null): stored, delivered to hooks and subscribers once', async () => {
    const { node, events } = newNode();
    const batch = { idBase: 'pg.00000000000000a0.0.tag', name: 'row', data: ['1', '2', '3'] };
    const first = await node.publishBatch('again', batch);
    const second = await node.publishBatch('again', { ...batch, data: [...batch.data] });
    expect(first.serials.every((s) => typeof s === 'string')).toBe(true);
    expect(second.serials).toEqual([null, null, null]);
    expect((await historyOf(node, 'again')).map((m) => m.data)).toEqual(['1', '2', '3']);
    expect(events).toHaveLength(1);
    // a different batch of the same transaction (another base) is not a duplicate
    await node.publishBatch('again', { ...batch, idBase: 'pg.00000000000000a0.3.tag', data: ['4'] });
    expect((await historyOf(node, 'again')).map((m) => m.data)).toEqual(['1', '2', '3', '4']);
    await node.close();
  });

  it('a single message published alone is a duplicate of the same id on either path', async () => {
    const { node } = newNode();
    await node.publish('single', [{ id: 'base:4', name: 'row', data: 'a' }], {});
    expect((await node.publishBatch('single', { idBase: 'base', first: 4, name: 'row', data: ['a'] })).serials).toEqual([null]);
    await node.publishBatch('single', { idBase: 'base', first: 5, name: 'row', data: ['b'] });
    expect((await node.publish('single', [{ id: 'base:5', name: 'row', data: 'b' }], {})).serials).toEqual([null]);
    expect((await historyOf(node, 'single')).map((m) => m.id)).toEqual(['base:4', 'base:5']);
    await node.close();
  });

  it('keeps call order with `publish` on the same channel, also behind a publish waiting for its id check', async () => {
    const { node } = newNode();
    await Promise.all([
      node.publish('order', [{ id: 'explicit:0', data: 'a' }], {}),
      node.publishBatch('order', { idBase: 'b1', data: ['b', 'c'] }),
      node.publish('order', [{ data: 'd' }], {}),
      node.publishBatch('order', { idBase: 'b2', data: ['e'] }),
    ]);
    expect((await historyOf(node, 'order')).map((m) => m.data)).toEqual(['a', 'b', 'c', 'd', 'e']);
    await node.close();
  });

  it('fails the publish when a hook throws, as `publish` does', async () => {
    const { node } = newNode();
    node.onAccepted(() => {
      throw new Error('hook failed');
    });
    await expect(node.publishBatch('hooked', { idBase: 'h', data: ['x'] })).rejects.toThrow('hook failed');
    await node.close();
  });
});

describe('RealtimeNode.publishBatches', () => {
  it('publishes the batches as one event, in order, each with its own ids and serials', async () => {
    const { node, events } = newNode();
    const results = await node.publishBatches('tx', [
      { idBase: 'lsn1', name: 'row', data: ['a', 'b'] },
      { idBase: 'lsn2', name: 'row', data: ['c'] },
    ]);
    const history = await historyOf(node, 'tx');
    expect(history.map((m) => [m.id, m.data])).toEqual([
      ['lsn1:0', 'a'],
      ['lsn1:1', 'b'],
      ['lsn2:0', 'c'],
    ]);
    expect(results.map((r) => r.serials)).toEqual([[history[0].serial, history[1].serial], [history[2].serial]]);
    // one accepted event: one sequencing and one fan-out for the three rows
    expect(events).toEqual([{ kind: 'message', channel: 'tx', messages: history }]);
    await node.close();
  });

  it('drops a batch already published, however it is grouped now, and publishes the rest', async () => {
    const { node } = newNode();
    await node.publishBatch('replay', { idBase: 'lsn2', data: ['second'] });
    const results = await node.publishBatches('replay', [
      { idBase: 'lsn1', data: ['first'] },
      { idBase: 'lsn2', data: ['second'] },
      { idBase: 'lsn3', data: ['third'] },
    ]);
    expect(results.map((r) => r.serials.map((s) => s !== null))).toEqual([[true], [false], [true]]);
    expect((await historyOf(node, 'replay')).map((m) => m.data)).toEqual(['second', 'first', 'third']);
    // and every batch of a group is remembered on its own
    expect((await node.publishBatch('replay', { idBase: 'lsn3', data: ['third'] })).serials).toEqual([null]);
    await node.close();
  });

  it('refuses them all when one is refused, recording none', async () => {
    const { node } = newNode(100);
    const big = 'x'.repeat(200);
    expect(
      await refusal(
        node.publishBatches('refused', [
          { idBase: 'ok', data: ['fine'] },
          { idBase: 'big', data: [big] },
        ]),
      ),
    ).toEqual({
      code: 40009,
      statusCode: 400,
    });
    expect(await historyOf(node, 'refused')).toEqual([]);
    expect((await node.publishBatch('refused', { idBase: 'ok', data: ['fine'] })).serials[0]).not.toBeNull();
    await node.close();
  });
});
