import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { formatSerial } from '../channel/serial.js';
import type { ChannelEvent } from '../ports/events.js';
import type { HistoryRetention, HistoryStore } from '../ports/history-store.js';
import { fakeClock, type FakeClock } from './fake-clock.js';

export interface HistoryStoreSuiteOptions {
  /** A store with the given retention, reading time from `clock`. Channels in each test are unique. */
  newStore(opts: { retention: HistoryRetention; clock: FakeClock }): HistoryStore | Promise<HistoryStore>;
  /** Releases what the stores hold (connections, keys). */
  cleanup?(): Promise<void>;
}

/**
 * The guarantees of HistoryStore (ports/history-store.ts), for every implementation: order, continuity of
 * `eventsAfter`, retention by count and by age, epochs, and data kept as given (binary stays binary).
 */
export function runHistoryStoreSuite(name: string, opts: HistoryStoreSuiteOptions): void {
  describe(`HistoryStore suite: ${name}`, () => {
    afterAll(async () => opts.cleanup?.());
    const channel = () => `hist-${randomBytes(5).toString('hex')}`;
    const retention = { ttlMs: 60_000, maxEventsPerChannel: 100 };
    let epochCounter = 0;
    const epoch = () => `e${(epochCounter++).toString(36)}${randomBytes(3).toString('hex')}`;
    function event(ch: string, ep: string, seq: number, clock: FakeClock, data: unknown = `m${seq}`): ChannelEvent {
      return {
        kind: 'message',
        channel: ch,
        id: `conn:${seq}`,
        connectionId: 'conn',
        timestamp: clock.now(),
        serial: formatSerial(ep, seq),
        messages: [{ id: `conn:${seq}:0`, data, timestamp: clock.now(), serial: `${formatSerial(ep, seq)}:0000`, action: 0 } as never],
      };
    }

    it('returns events in append order, and exactly those after a serial', async () => {
      const clock = fakeClock();
      const store = await opts.newStore({ retention, clock });
      const ch = channel();
      const ep = epoch();
      for (let i = 1; i <= 5; i++) await store.append(event(ch, ep, i, clock));
      expect((await store.events(ch)).map((e) => e.serial)).toEqual([1, 2, 3, 4, 5].map((i) => formatSerial(ep, i)));
      expect((await store.eventsAfter(ch, formatSerial(ep, 2)))!.map((e) => e.serial)).toEqual([3, 4, 5].map((i) => formatSerial(ep, i)));
      expect(await store.eventsAfter(ch, formatSerial(ep, 5))).toEqual([]);
      expect(await store.events(channel())).toEqual([]);
    });

    it('knows which serials are continuous: zero on an empty channel yes; other epochs, the future, garbage no', async () => {
      const clock = fakeClock();
      const store = await opts.newStore({ retention, clock });
      const ch = channel();
      const ep = epoch();
      expect(await store.eventsAfter(ch, formatSerial(ep, 0))).toEqual([]);
      expect(await store.eventsAfter(ch, formatSerial(ep, 3))).toBeUndefined();
      await store.append(event(ch, ep, 1, clock));
      expect((await store.eventsAfter(ch, formatSerial(ep, 0)))!.length).toBe(1);
      expect(await store.eventsAfter(ch, formatSerial(epoch(), 0))).toBeUndefined();
      expect(await store.eventsAfter(ch, formatSerial(ep, 2))).toBeUndefined();
      expect(await store.eventsAfter(ch, 'not-a-serial!')).toBeUndefined();
    });

    it('keeps at most maxEventsPerChannel, and a serial before the kept ones is no longer continuous', async () => {
      const clock = fakeClock();
      const store = await opts.newStore({ retention: { ttlMs: 60_000, maxEventsPerChannel: 3 }, clock });
      const ch = channel();
      const ep = epoch();
      for (let i = 1; i <= 6; i++) await store.append(event(ch, ep, i, clock));
      expect((await store.events(ch)).map((e) => e.serial)).toEqual([4, 5, 6].map((i) => formatSerial(ep, i)));
      expect((await store.eventsAfter(ch, formatSerial(ep, 3)))!.length).toBe(3);
      expect(await store.eventsAfter(ch, formatSerial(ep, 2))).toBeUndefined();
    });

    it('drops events older than ttlMs', async () => {
      const clock = fakeClock();
      const store = await opts.newStore({ retention: { ttlMs: 10_000, maxEventsPerChannel: 100 }, clock });
      const ch = channel();
      const ep = epoch();
      await store.append(event(ch, ep, 1, clock));
      await store.append(event(ch, ep, 2, clock));
      clock.advance(6_000);
      await store.append(event(ch, ep, 3, clock));
      clock.advance(6_000);
      expect((await store.events(ch)).map((e) => e.serial)).toEqual([formatSerial(ep, 3)]);
      expect(await store.eventsAfter(ch, formatSerial(ep, 1))).toBeUndefined();
      expect((await store.eventsAfter(ch, formatSerial(ep, 2)))!.map((e) => e.serial)).toEqual([formatSerial(ep, 3)]);
      clock.advance(6_000);
      expect(await store.events(ch)).toEqual([]);
      // Nothing is lost after the last serial: still continuous, with nothing to replay.
      expect(await store.eventsAfter(ch, formatSerial(ep, 3))).toEqual([]);
    });

    it('starts over when a new epoch begins', async () => {
      const clock = fakeClock();
      const store = await opts.newStore({ retention, clock });
      const ch = channel();
      const first = epoch();
      const second = epoch();
      await store.append(event(ch, first, 1, clock));
      await store.append(event(ch, first, 2, clock));
      await store.append(event(ch, second, 1, clock));
      expect((await store.events(ch)).map((e) => e.serial)).toEqual([formatSerial(second, 1)]);
      expect(await store.eventsAfter(ch, formatSerial(first, 2))).toBeUndefined();
    });

    it('keeps data as given: strings, objects, binary, extras, presence events', async () => {
      const clock = fakeClock();
      const store = await opts.newStore({ retention, clock });
      const ch = channel();
      const ep = epoch();
      const binary = new Uint8Array([0, 1, 2, 250, 255]);
      await store.append(event(ch, ep, 1, clock, 'text ✓'));
      await store.append(event(ch, ep, 2, clock, { nested: { n: 1.5, list: [true, null] } }));
      await store.append(event(ch, ep, 3, clock, binary));
      const presence: ChannelEvent = {
        kind: 'presence',
        channel: ch,
        id: 'conn:4',
        timestamp: clock.now(),
        serial: formatSerial(ep, 4),
        presence: [
          { id: 'conn:4:0', action: 2, clientId: 'alice', connectionId: 'conn', timestamp: clock.now(), data: 'hi', extras: { headers: { a: 'b' } } },
        ],
      };
      await store.append(presence);
      const got = await store.events(ch);
      expect(got.map((e) => e.messages?.[0].data ?? e.presence?.[0].data)).toEqual([
        'text ✓',
        { nested: { n: 1.5, list: [true, null] } },
        binary,
        'hi',
      ]);
      expect(got[2].messages![0].data).toBeInstanceOf(Uint8Array);
      expect(got[2].messages![0].serial).toBe(`${formatSerial(ep, 3)}:0000`);
      expect(got[3]).toEqual(presence);
    });

    it('tells its size: channels holding events and the events held, within the count limit', async () => {
      const clock = fakeClock();
      const store = await opts.newStore({ retention: { ttlMs: 60_000, maxEventsPerChannel: 4 }, clock });
      // A shared store may hold other tests' channels: what these appends add is what is checked.
      const before = await store.size();
      const [a, b] = [channel(), channel()];
      const ep = epoch();
      for (let i = 1; i <= 6; i++) await store.append(event(a, ep, i, clock));
      await store.append(event(b, ep, 1, clock));
      const after = await store.size();
      expect({ channels: after.channels - before.channels, events: after.events - before.events }).toEqual({ channels: 2, events: 5 });
    });

    it('reads a page: direction, limit, serial bounds (exclusive after, inclusive notAfter), time bounds, other epochs', async () => {
      const clock = fakeClock();
      const store = await opts.newStore({ retention, clock });
      const ch = channel();
      const ep = epoch();
      for (let i = 1; i <= 10; i++) {
        await store.append(event(ch, ep, i, clock));
        clock.advance(1_000);
      }
      const seqs = async (request: Parameters<HistoryStore['page']>[1]) => (await store.page(ch, request)).map((e) => Number(e.serial.split('-')[1]));
      expect(await seqs({ direction: 'forwards', limit: 3 })).toEqual([1, 2, 3]);
      expect(await seqs({ direction: 'backwards', limit: 3 })).toEqual([10, 9, 8]);
      expect(await seqs({ direction: 'forwards', limit: 3, after: formatSerial(ep, 3) })).toEqual([4, 5, 6]);
      expect(await seqs({ direction: 'backwards', limit: 3, after: formatSerial(ep, 3) })).toEqual([2, 1]);
      expect(await seqs({ direction: 'backwards', limit: 3, notAfter: formatSerial(ep, 5) })).toEqual([5, 4, 3]);
      expect(await seqs({ direction: 'forwards', limit: 20, after: formatSerial(ep, 2), notAfter: `${formatSerial(ep, 4)}:0000` })).toEqual([3, 4]);
      const start = clock.now() - 10_000; // event i was appended at start + (i - 1) s
      expect(await seqs({ direction: 'forwards', limit: 20, since: start + 3_000, until: start + 5_000 })).toEqual([4, 5, 6]);
      expect(await seqs({ direction: 'backwards', limit: 2, since: start + 3_000 })).toEqual([10, 9]);
      expect(await seqs({ direction: 'backwards', limit: 2, until: start + 1_000 })).toEqual([2, 1]);
      // a bound from an earlier epoch is before every kept event, one from a later epoch after them
      const earlier = `0${ep}`;
      const later = `z${ep}`;
      expect(await seqs({ direction: 'forwards', limit: 2, after: formatSerial(earlier, 99) })).toEqual([1, 2]);
      expect(await seqs({ direction: 'backwards', limit: 2, after: formatSerial(earlier, 99) })).toEqual([]);
      expect(await seqs({ direction: 'backwards', limit: 2, after: formatSerial(later, 1) })).toEqual([10, 9]);
      expect(await seqs({ direction: 'forwards', limit: 2, notAfter: formatSerial(earlier, 99) })).toEqual([]);
      expect(await store.page(channel(), { direction: 'backwards', limit: 5 })).toEqual([]);
      expect((await store.page(ch, { direction: 'forwards', limit: 1 }))[0]).toEqual((await store.events(ch))[0]);
    });
  });
}
