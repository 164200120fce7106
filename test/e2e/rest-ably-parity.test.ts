import { describe, expect, inject, it } from 'vitest';
import * as Ably from 'ably';
import { useInProcessCluster } from '../support/in-process-cluster.ts';
import { clientOptions, TEST_KEYS, type TestRowcast } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/**
 * REST answers as Ably's do, seen through the unmodified SDK: batch publish results (both API versions), token
 * capabilities in the key's operation order, refused ttl and capability requests, publishing on behalf of a
 * realtime connection (`connectionKey`, Laravel Echo's `toOthers()`).
 */
const ORDERED = {
  name: 'app1.ordered',
  secret: 'orderedsecret',
  capability: { 'push:*': ['publish', 'subscribe', 'push-subscribe'], 'chan*': ['subscribe', 'publish'] },
};
const ORDERED_KEY = `${ORDERED.name}:${ORDERED.secret}`;
const { realtime, rest } = useRowcast({ keys: [...TEST_KEYS, ORDERED] });
const FULL_KEY = 'app1.full:fullsecret';

async function errorOf(work: () => Promise<unknown>): Promise<Ably.ErrorInfo> {
  try {
    await work();
  } catch (err) {
    return err as Ably.ErrorInfo;
  }
  throw new Error('expected a refusal');
}

describe('batch publish', () => {
  it('gives each successful channel a messageId that its messages carry, and none to a refused one', async () => {
    const client = rest({ key: 'app1.sub:subsecret' });
    const refused = await client.batchPublish({ channels: ['room-batch'], messages: [{ data: 'x' }] });
    expect(refused.results[0]).not.toHaveProperty('messageId');
    expect((refused.results[0] as Ably.BatchPublishFailureResult).error.statusCode).toBe(401);

    const full = rest({ key: FULL_KEY });
    const [result] = await full.batchPublish([{ channels: ['batch-id-a', 'batch-id-b'], messages: [{ data: 'one' }, { data: 'two' }] }]);
    expect(result!.successCount).toBe(2);
    const ids = result!.results.map((r) => (r as Ably.BatchPublishSuccessResult).messageId);
    expect(ids[0]).toBeTruthy();
    expect(ids[1]).toBeTruthy();
    const history = await full.channels.get('batch-id-a').history({ direction: 'forwards' });
    expect(history.items.map((m) => m.id)).toEqual([`${ids[0]}:0`, `${ids[0]}:1`]);
  });

  it('answers API version 2 with the flat list of per-channel results', async () => {
    const res = await rest({ key: FULL_KEY }).request('POST', '/messages', 2, {}, { channels: ['v2-a', 'v2-b'], messages: { data: 'foo' } }, {});
    expect(res.statusCode).toBe(201);
    expect(res.items.map((i: { channel: string }) => i.channel)).toEqual(['v2-a', 'v2-b']);
    expect(res.items[0].messageId).toBeTruthy();
    expect(res.items[0]).not.toHaveProperty('batchResponse');
  });
});

describe('tokens', () => {
  it("keep the key's operation order in their capability", async () => {
    const details = await rest({ key: ORDERED_KEY }).auth.requestToken();
    expect(JSON.parse(details.capability)).toEqual(ORDERED.capability);
    // Operations named in the request (the SDK sends them sorted) keep the request's order.
    const asked = await rest({ key: ORDERED_KEY }).auth.requestToken({ capability: { 'push:x': ['subscribe', 'push-subscribe', 'publish'] } });
    expect(JSON.parse(asked.capability)).toEqual({ 'push:x': ['publish', 'push-subscribe', 'subscribe'] });
  });

  it('are refused for a ttl above 24 h and for a capability mixing "*" with operations (400, 40003)', async () => {
    const client = rest({ key: FULL_KEY });
    const ttl = await errorOf(() => client.auth.requestToken({ ttl: 365 * 24 * 60 * 60 * 1000 }));
    expect([ttl.statusCode, ttl.code]).toEqual([400, 40003]);
    const mixed = await errorOf(() => client.auth.requestToken({ capability: JSON.stringify({ channel0: ['*', 'publish'] }) }));
    expect([mixed.statusCode, mixed.code]).toEqual([400, 40003]);
    const unknownOp = await errorOf(() => client.auth.requestToken({ capability: JSON.stringify({ channel0: ['publish_'] }) }));
    expect(unknownOp.statusCode).toBe(400);
  });
});

describe('unknown resources', () => {
  it('a known path with the wrong method is 404 40400 through the SDK', async () => {
    const res = await rest({ key: FULL_KEY }).request('get', '/keys/app1.full/requestToken', 3, null, null, null);
    expect([res.success, res.statusCode, res.errorCode]).toEqual([false, 404, 40400]);
  });
});

describe('publishing on behalf of a realtime connection (connectionKey)', () => {
  it('is not echoed to that connection (echoMessages: false) but reaches the others, with its connectionId', async () => {
    const sender = realtime({ key: FULL_KEY, echoMessages: false });
    const other = realtime({ key: FULL_KEY });
    await Promise.all([sender.connection.once('connected'), other.connection.once('connected')]);
    const name = 'to-others';
    const senderGot: Ably.Message[] = [];
    const otherGot: Ably.Message[] = [];
    await sender.channels.get(name).subscribe((m) => senderGot.push(m));
    await other.channels.get(name).subscribe((m) => otherGot.push(m));

    const channel = rest({ key: FULL_KEY }).channels.get(name);
    await channel.publish({ name: 'whisper', data: 'for the others', connectionKey: sender.connection.key });
    // A marker published without connectionKey: once the sender has it, the whisper would have arrived before it.
    await channel.publish({ name: 'marker', data: 'for all' });
    await expect.poll(() => senderGot.map((m) => m.name)).toContain('marker');
    await expect.poll(() => otherGot.map((m) => m.name)).toEqual(['whisper', 'marker']);
    expect(senderGot.map((m) => m.name)).toEqual(['marker']);
    expect(otherGot[0]!.connectionId).toBe(sender.connection.id);
  });

  it('refuses an unknown connectionKey', async () => {
    const channel = rest({ key: FULL_KEY }).channels.get('to-nobody');
    const err = await errorOf(() => channel.publish({ name: 'x', data: 'y', connectionKey: 'nobody!nokey' }));
    expect([err.statusCode, err.code]).toEqual([400, 40006]);
  });
});

const redisUrl = inject('redisUrl');

describe.skipIf(!redisUrl)(redisUrl ? 'connectionKey in a Redis cluster' : 'connectionKey in a cluster: SKIPPED, no Redis (set REDIS_URL)', () => {
  const cluster = useInProcessCluster(redisUrl, 'connection-key', 2);

  it('a REST publish through node B on behalf of a connection of node A is not echoed to it', async () => {
    const [a, b] = cluster.nodes() as [TestRowcast, TestRowcast];
    const connect = (options: Record<string, unknown>) =>
      cluster.track(new Ably.Realtime(clientOptions(a, { key: FULL_KEY, ...options }) as Ably.ClientOptions));
    const sender = connect({ echoMessages: false });
    const other = connect({});
    const senderGot: string[] = [];
    const otherGot: Ably.Message[] = [];
    await sender.channels.get('cluster-others').subscribe((m) => senderGot.push(m.name!));
    await other.channels.get('cluster-others').subscribe((m) => otherGot.push(m));
    const channel = new Ably.Rest(clientOptions(b, { key: FULL_KEY }) as Ably.ClientOptions).channels.get('cluster-others');
    await channel.publish({ name: 'whisper', data: 'x', connectionKey: sender.connection.key });
    await channel.publish({ name: 'marker', data: 'y' });
    await expect.poll(() => senderGot).toContain('marker');
    await expect.poll(() => otherGot.map((m) => m.name)).toEqual(['whisper', 'marker']);
    expect(senderGot).toEqual(['marker']);
    expect(otherGot[0]!.connectionId).toBe(sender.connection.id);
  });
});
