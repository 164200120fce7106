import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { isAfter } from '../channel/order.js';
import { parseSerial } from '../channel/serial.js';
import type { Broker } from '../ports/broker.js';
import type { ChannelEvent, ChannelEventInput } from '../ports/events.js';
import type { HistoryStore } from '../ports/history-store.js';
import { fakeClock, type FakeClock } from './fake-clock.js';

/** One node's view of a shared backend: its broker and the history that broker writes to. */
export interface BrokerNode {
  broker: Broker;
  history: HistoryStore;
}

export interface BrokerSuiteOptions {
  /**
   * A fresh backend; `node()` joins one more node to it. Memory brokers are single-node (`maxNodes: 1`),
   * a cluster broker gives each node its own connections to the same backend.
   */
  newBackend(clock: FakeClock): Promise<{ node(): Promise<BrokerNode>; maxNodes: number; close(): Promise<void> }>;
  /** Whether the broker drops repeats of `explicitIds` itself (cluster brokers; the memory node does it before). */
  dedupesExplicitIds: boolean;
}

/**
 * The guarantees of Broker (ports/broker.ts), for every implementation: one serial sequence per channel,
 * history written before delivery, ordered exactly-once delivery while subscribed, a gap-free
 * "subscribe then currentSerial" (what attach relies on), and, for multi-node brokers, one order for all.
 */
export function runBrokerSuite(name: string, opts: BrokerSuiteOptions): void {
  describe(`Broker suite: ${name}`, () => {
    const backends: Array<{ close(): Promise<void> }> = [];
    afterAll(async () => {
      for (const b of backends) await b.close();
    });
    async function backend() {
      const b = await opts.newBackend(fakeClock());
      backends.push(b);
      return b;
    }
    const channel = () => `brk-${randomBytes(5).toString('hex')}`;
    let n = 0;
    const input = (data: unknown = `m${n++}`, count = 1): ChannelEventInput => ({
      kind: 'message',
      id: `conn:${n}`,
      connectionId: 'conn',
      timestamp: Date.now(),
      messages: Array.from({ length: count }, (_, i) => ({ id: `conn:${n}:${i}`, data, timestamp: Date.now(), serial: '', action: 0 }) as never),
    });
    function collect(broker: Broker): Map<string, ChannelEvent[]> {
      const seen = new Map<string, ChannelEvent[]>();
      broker.setListener((e) => {
        let list = seen.get(e.channel);
        if (!list) seen.set(e.channel, (list = []));
        list.push(e);
      });
      return seen;
    }

    it('gives each event of a channel the next serial, and each message <serial>:<index>', async () => {
      const { broker } = await (await backend()).node();
      const ch = channel();
      const a = await broker.publish(ch, input('x', 2));
      const b = await broker.publish(ch, input());
      const other = await broker.publish(channel(), input());
      expect(a.channel).toBe(ch);
      expect(isAfter(b.serial, a.serial)).toBe(true);
      expect(parseSerial(b.serial)!.seq).toBe(parseSerial(a.serial)!.seq + 1);
      expect(a.messages!.map((m) => m.serial)).toEqual([`${a.serial}:0000`, `${a.serial}:0001`]);
      expect(parseSerial(other.serial)).toBeDefined();
      expect(await broker.currentSerial(ch)).toBe(b.serial);
    });

    it('delivers a subscribed channel in serial order, each event once, and nothing after unsubscribe', async () => {
      const { broker } = await (await backend()).node();
      const seen = collect(broker);
      const [ch, marker] = [channel(), channel()];
      broker.subscribe(ch);
      broker.subscribe(ch); // idempotent: still one delivery per event
      await broker.currentSerial(ch);
      const published: string[] = [];
      for (let i = 0; i < 50; i++) published.push((await broker.publish(ch, input())).serial);
      await waitFor(() => seen.get(ch)?.length === 50, 'the 50 events');
      expect(seen.get(ch)!.map((e) => e.serial)).toEqual(published);
      broker.unsubscribe(ch);
      await broker.publish(ch, input());
      broker.subscribe(marker);
      await broker.currentSerial(marker);
      await broker.publish(marker, input());
      await waitFor(() => seen.get(marker)?.length === 1, 'the marker event');
      expect(seen.get(ch)!.length).toBe(50);
    });

    it('has each event in history before a listener sees it', async () => {
      const { broker, history } = await (await backend()).node();
      const ch = channel();
      const checks: Array<Promise<boolean>> = [];
      broker.setListener((e) => {
        checks.push(history.events(e.channel).then((all) => all.some((x) => x.serial === e.serial)));
      });
      broker.subscribe(ch);
      await broker.currentSerial(ch);
      for (let i = 0; i < 10; i++) await broker.publish(ch, input());
      await waitFor(() => checks.length === 10, 'ten deliveries');
      expect(await Promise.all(checks)).toEqual(Array(10).fill(true));
    });

    it('starts a channel at a serial continuous with its first event', async () => {
      const { broker, history } = await (await backend()).node();
      const ch = channel();
      const start = await broker.currentSerial(ch);
      expect(await history.eventsAfter(ch, start)).toEqual([]);
      const first = await broker.publish(ch, input());
      expect((await history.eventsAfter(ch, start))!.map((e) => e.serial)).toEqual([first.serial]);
    });

    it('after subscribe, everything after currentSerial reaches the listener (no gap while publishers race)', async () => {
      const b = await backend();
      const publisher = (await b.node()).broker;
      const subscriber = b.maxNodes > 1 ? (await b.node()).broker : publisher;
      const seen = collect(subscriber);
      const ch = channel();
      let stop = false;
      const racing = (async () => {
        while (!stop) await publisher.publish(ch, input());
      })();
      await publisher.publish(ch, input());
      subscriber.subscribe(ch);
      const from = await subscriber.currentSerial(ch);
      const last = await publisher.publish(ch, input());
      stop = true;
      await racing;
      const end = await publisher.currentSerial(ch);
      const expected = parseSerial(end)!.seq - parseSerial(from)!.seq;
      await waitFor(() => (seen.get(ch) ?? []).filter((e) => isAfter(e.serial, from)).length >= expected, 'every event after currentSerial');
      const after = seen
        .get(ch)!
        .filter((e) => isAfter(e.serial, from))
        .map((e) => parseSerial(e.serial)!.seq);
      expect(after).toEqual(Array.from({ length: expected }, (_, i) => parseSerial(from)!.seq + 1 + i));
      expect(after).toContain(parseSerial(last.serial)!.seq);
    });

    it('drops an event whose explicit ids were all published before, through any node', async (ctx) => {
      if (!opts.dedupesExplicitIds) ctx.skip();
      const b = await backend();
      const [first, second] = [await b.node(), b.maxNodes > 1 ? await b.node() : undefined];
      const other = second ?? first;
      const seen = collect(other.broker);
      const ch = channel();
      other.broker.subscribe(ch);
      await other.broker.currentSerial(ch);
      const original = await first.broker.publish(ch, { ...input('once', 2), explicitIds: ['tx1:0', 'tx1:1'] });
      const repeat = await other.broker.publish(ch, { ...input('once', 2), explicitIds: ['tx1:0', 'tx1:1'] });
      const partly = await other.broker.publish(ch, { ...input('new', 2), explicitIds: ['tx1:1', 'tx2:0'] });
      expect(original.duplicate).toBeFalsy();
      expect(repeat.duplicate).toBe(true);
      expect(partly.duplicate).toBeFalsy();
      await waitFor(() => seen.get(ch)?.length === 2, 'two events');
      expect(seen.get(ch)!.map((e) => e.serial)).toEqual([original.serial, partly.serial]);
      expect((await other.history.events(ch)).map((e) => e.serial)).toEqual([original.serial, partly.serial]);
    });

    it('gives every node of a cluster the same order when all publish at once', async (ctx) => {
      const b = await backend();
      if (b.maxNodes < 3) ctx.skip();
      const nodes = [await b.node(), await b.node(), await b.node()];
      const ch = channel();
      const seen = nodes.map((x) => collect(x.broker));
      for (const x of nodes) x.broker.subscribe(ch);
      for (const x of nodes) await x.broker.currentSerial(ch);
      await Promise.all(
        nodes.map(async (x, k) => {
          for (let i = 0; i < 100; i++) await x.broker.publish(ch, input(`n${k}-${i}`));
        }),
      );
      await waitFor(() => seen.every((s) => s.get(ch)?.length === 300), '300 events on every node');
      const orders = seen.map((s) => s.get(ch)!.map((e) => `${e.serial}=${e.messages![0].data}`));
      expect(orders[1]).toEqual(orders[0]);
      expect(orders[2]).toEqual(orders[0]);
      const seqs = seen[0].get(ch)!.map((e) => parseSerial(e.serial)!.seq);
      expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => seqs[0] + i));
      // Each node's own publishes keep their order within the common one.
      for (let k = 0; k < 3; k++) {
        const mine = seen[0]
          .get(ch)!
          .map((e) => String(e.messages![0].data))
          .filter((d) => d.startsWith(`n${k}-`));
        expect(mine).toEqual(Array.from({ length: 100 }, (_, i) => `n${k}-${i}`));
      }
    });
  });
}

/** Polls `check` until true; fails naming `what` after 10 s. Deliveries may be asynchronous. */
async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
