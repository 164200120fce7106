import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { AnnotationAction, MessageAction } from '@rowcast/protocol';
import { formatSerial, messageSerial } from '../channel/serial.js';
import type { AcceptedAnnotation, AcceptedMessage } from '../node-api.js';
import type { MessageStore } from '../ports/message-store.js';

export interface MessageStoreSuiteOptions {
  /** A store; channels in each test are unique. */
  newStore(): MessageStore | Promise<MessageStore>;
  /**
   * How the store comes to know created messages: `store.record` unless the store reads creates from elsewhere
   * (the Redis one, from the channel's history: append them there).
   */
  recordCreates?(store: MessageStore, channel: string, messages: AcceptedMessage[]): Promise<void>;
  /** The store leaves unchanged creates to history: `latest` may answer undefined for them (see MessageStore.latest). */
  createsFromHistory?: boolean;
  cleanup?(): Promise<void>;
}

/** The guarantees of MessageStore (ports/message-store.ts), for every implementation. */
export function runMessageStoreSuite(name: string, opts: MessageStoreSuiteOptions): void {
  describe(`MessageStore suite: ${name}`, () => {
    afterAll(async () => opts.cleanup?.());
    const unique = (p: string) => `${p}-${randomBytes(5).toString('hex')}`;
    // Recent: a store that reads creates from history keeps them only within its retention.
    const now = Date.now();
    const epoch = now.toString(36);
    const serialAt = (seq: number) => messageSerial(formatSerial(epoch, seq), 0);
    const created = (seq: number, data: string, clientId = 'alice'): AcceptedMessage => ({
      id: `id-${seq}`,
      serial: serialAt(seq),
      action: MessageAction.CREATE,
      timestamp: now + seq,
      name: 'n',
      data,
      clientId,
    });
    const changed = (of: AcceptedMessage, seq: number, action: number, data: string): AcceptedMessage => ({
      ...of,
      action,
      data,
      version: { serial: serialAt(seq), timestamp: of.timestamp + seq, clientId: 'editor', description: `v${seq}` },
    });
    const annotation = (of: AcceptedMessage, seq: number, name: string, action: number = AnnotationAction.CREATE): AcceptedAnnotation => ({
      id: `a-${seq}`,
      action,
      serial: serialAt(seq),
      messageSerial: of.serial,
      type: 'reaction:distinct.v1',
      name,
      clientId: 'bob',
      timestamp: now + seq,
    });
    const recordCreates = (store: MessageStore, channel: string, messages: AcceptedMessage[]) =>
      opts.recordCreates ? opts.recordCreates(store, channel, messages) : store.record(channel, messages);

    it('a created message is its own latest version and only version; an unknown serial is undefined', async () => {
      const store = await opts.newStore();
      const ch = unique('ch');
      const m = created(1, 'hello');
      await recordCreates(store, ch, [m]);
      const [latest, unknown] = await store.latest(ch, [m.serial, serialAt(99)]);
      if (!opts.createsFromHistory || latest) expect(latest).toMatchObject({ serial: m.serial, data: 'hello', action: MessageAction.CREATE });
      expect(unknown).toBeUndefined();
      expect((await store.versions(ch, m.serial, { direction: 'forwards', limit: 10 })).map((v) => v.data)).toEqual(['hello']);
      expect(await store.latest(unique('other'), [m.serial])).toEqual([undefined]);
    });

    it('the latest version is the one with the greatest version serial, whatever the order of the writes', async () => {
      const store = await opts.newStore();
      const ch = unique('ch');
      const m = created(1, 'v1');
      await recordCreates(store, ch, [m]);
      await store.record(ch, [changed(m, 5, MessageAction.DELETE, 'v3')]);
      await store.record(ch, [changed(m, 3, MessageAction.UPDATE, 'v2')]);
      const [latest] = await store.latest(ch, [m.serial]);
      expect(latest).toMatchObject({
        serial: m.serial,
        action: MessageAction.DELETE,
        data: 'v3',
        version: { serial: serialAt(5), description: 'v5' },
      });
      const forwards = await store.versions(ch, m.serial, { direction: 'forwards', limit: 10 });
      expect(forwards.map((v) => v.data)).toEqual(['v1', 'v2', 'v3']);
      const backwards = await store.versions(ch, m.serial, { direction: 'backwards', limit: 2 });
      expect(backwards.map((v) => v.data)).toEqual(['v3', 'v2']);
      const rest = await store.versions(ch, m.serial, { direction: 'backwards', after: serialAt(3), limit: 10 });
      expect(rest.map((v) => v.data)).toEqual(['v1']);
      const next = await store.versions(ch, m.serial, { direction: 'forwards', after: serialAt(1), limit: 1 });
      expect(next.map((v) => v.data)).toEqual(['v2']);
    });

    it('addAnnotation answers every annotation of the message in serial order, including the one added', async () => {
      const store = await opts.newStore();
      const ch = unique('ch');
      const [m, other] = [created(1, 'a'), created(2, 'b')];
      await recordCreates(store, ch, [m, other]);
      expect((await store.addAnnotation(ch, annotation(m, 4, '👍'))).map((a) => a.name)).toEqual(['👍']);
      await store.addAnnotation(ch, annotation(other, 5, 'elsewhere'));
      const all = await store.addAnnotation(ch, annotation(m, 3, '🎉'));
      expect(all.map((a) => [a.serial, a.name])).toEqual([
        [serialAt(3), '🎉'],
        [serialAt(4), '👍'],
      ]);
      await store.addAnnotation(ch, annotation(m, 6, '👍', AnnotationAction.DELETE));
      const page = await store.annotations(ch, m.serial, { limit: 2 });
      expect(page.map((a) => a.name)).toEqual(['🎉', '👍']);
      const after = await store.annotations(ch, m.serial, { after: serialAt(4), limit: 10 });
      expect(after.map((a) => [a.name, a.action])).toEqual([['👍', AnnotationAction.DELETE]]);
      expect(await store.annotations(ch, serialAt(77), { limit: 10 })).toEqual([]);
    });

    it('a summary is kept with the message (latest carries it); one computed as of an earlier annotation is ignored', async () => {
      const store = await opts.newStore();
      const ch = unique('ch');
      const m = created(1, 'a');
      await recordCreates(store, ch, [m]);
      const newer = { summary: { 'reaction:total.v1': { total: 2 } } };
      const older = { summary: { 'reaction:total.v1': { total: 1 } } };
      await store.setSummary(ch, m.serial, newer, serialAt(3));
      await store.setSummary(ch, m.serial, older, serialAt(2));
      const [latest] = await store.latest(ch, [m.serial]);
      expect(latest).toMatchObject({ serial: m.serial, data: 'a', annotations: newer });
      await store.record(ch, [changed(m, 4, MessageAction.UPDATE, 'b')]);
      const [updated] = await store.latest(ch, [m.serial]);
      expect(updated).toMatchObject({ data: 'b', annotations: newer });
    });

    it('binary data comes back as bytes', async () => {
      const store = await opts.newStore();
      const ch = unique('ch');
      const m: AcceptedMessage = { ...created(1, ''), data: new Uint8Array([1, 2, 3]) };
      await recordCreates(store, ch, [m]);
      await store.record(ch, [{ ...changed(m, 2, MessageAction.UPDATE, ''), data: new Uint8Array([4, 5]) }]);
      const [latest] = await store.latest(ch, [m.serial]);
      expect(latest?.data).toBeInstanceOf(Uint8Array);
      expect([...(latest!.data as Uint8Array)]).toEqual([4, 5]);
    });
  });
}
