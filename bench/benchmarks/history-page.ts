import { Redis } from 'ioredis';
import { formatSerial, MemoryHistoryStore, pageHistory, systemClock, type ChannelEvent, type HistoryStore } from '@rowcast/core';
import { RedisHistoryStore, RedisKeys } from '@rowcast/broker-redis';
import { wholeChannelPage } from '../peers/whole-channel-history.js';
import { fmt, summarize, type Summary } from '../lib/stats.js';
import { ratio, type Benchmark } from '../lib/benchmark.js';

/**
 * Issue 15, item 4: a REST history page (the newest 100 messages) on a channel holding 10,000 events, read the
 * way Rowcast pages now (HistoryStore.page: about one page of events) against the whole-channel read it replaced
 * (every kept event, then the page picked in memory), on the memory store and on Redis, in the same run.
 */

const EVENTS = 10_000;
const LIMIT = 100;

function event(channel: string, seq: number): ChannelEvent {
  const serial = formatSerial('bench', seq);
  const timestamp = Date.now();
  return {
    kind: 'message',
    channel,
    id: `c:${seq}`,
    connectionId: 'c',
    serial,
    timestamp,
    messages: [{ id: `c:${seq}:0`, serial: `${serial}:0000`, timestamp, name: 'chat', data: `message ${seq} `.padEnd(100, '.') } as never],
  };
}

/** Milliseconds per call of `read`, `rounds` times after a warm-up. */
async function timeReads(read: () => Promise<unknown>, rounds: number): Promise<Summary> {
  for (let i = 0; i < Math.min(20, rounds); i++) await read();
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await read();
    ms.push(performance.now() - t0);
  }
  return summarize(ms);
}

interface Row {
  store: string;
  page: Summary;
  whole: Summary;
}

async function measure(name: string, store: HistoryStore, events: number, rounds: number): Promise<Row> {
  const channel = `history-bench-${process.pid}`;
  for (let seq = 1; seq <= events; seq++) await store.append(event(channel, seq));
  const pick = (e: ChannelEvent) => e.messages;
  const page = await timeReads(() => pageHistory((r) => store.page(channel, r), pick, { limit: LIMIT }), rounds);
  const whole = await timeReads(() => wholeChannelPage(store, channel, LIMIT), rounds);
  return { store: name, page, whole };
}

export const historyPage: Benchmark = {
  name: 'history-page',
  description: 'A 100-message history page on a 10,000-event channel: page read vs the whole-channel read it replaced',
  async run(ctx) {
    const size = ctx.smoke ? { events: 1_000, rounds: 20 } : { events: EVENTS, rounds: 200 };
    const retention = { ttlMs: 3_600_000, maxEventsPerChannel: size.events };
    const rows: Row[] = [];
    const memory = new MemoryHistoryStore(retention, systemClock());
    rows.push(await measure('memory', memory, size.events, size.rounds));
    memory.close();
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    const keys = new RedisKeys(`rowcast-bench:history:${process.pid}:`);
    try {
      await redis.connect();
      const store = new RedisHistoryStore({ redis, keys, retention, clock: systemClock() });
      rows.push(await measure('Redis', store, size.events, size.rounds));
    } catch (err) {
      console.warn(`history-page: Redis at ${redisUrl} not measured: ${(err as Error).message}`);
    } finally {
      if (redis.status === 'ready')
        await redis.del(keys.channelMeta(`history-bench-${process.pid}`), keys.channelHistory(`history-bench-${process.pid}`));
      redis.disconnect();
    }
    return {
      name: 'history-page',
      title: 'History: one page read instead of the whole channel',
      setup: [
        `${size.events.toLocaleString('en')} message events of ~100 bytes on one channel; a page = the newest ${LIMIT} messages (REST history's default)`,
        `${size.rounds} reads of each kind after a warm-up, one after another, in this process (Redis on this machine)`,
        'page read: HistoryStore.page through pageHistory (what REST history runs now); whole-channel read: HistoryStore.events, then the page picked in memory (what it ran before)',
      ],
      table: {
        headers: ['Store', 'page read p50 ms', 'page read p99 ms', 'whole-channel p50 ms', 'whole-channel p99 ms', 'whole / page (p50)'],
        rows: rows.map((r) => [r.store, fmt(r.page.p50), fmt(r.page.p99), fmt(r.whole.p50), fmt(r.whole.p99), ratio(r.whole.p50, r.page.p50)]),
      },
      goals: [
        {
          goal: 'a history page costs its page, not the channel: the page read is faster than the whole-channel read on every store',
          measured: rows.map((r) => `${r.store}: ${ratio(r.whole.p50, r.page.p50)} faster`).join(', '),
          met: ctx.smoke ? null : rows.every((r) => r.page.p50 < r.whole.p50),
        },
      ],
      charts: [],
      raw: rows,
      smoke: ctx.smoke,
    };
  },
};
