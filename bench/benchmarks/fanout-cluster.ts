import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { deletePrefix } from '@rowcast/broker-redis/testing';
import { startChild } from '../lib/proc.js';
import { BENCH_KEY_STRING, measureWindow, startRowcast, type RowcastHandle } from '../lib/rowcast.js';
import { cdfPoints, fmt, median, summarize, type Summary } from '../lib/stats.js';
import { ratio, type Benchmark, type RunContext } from '../lib/benchmark.js';
import type { FanoutRunResult } from '../loadgen/fanout-clients.js';

type Setup = 'memory' | 'redis-1' | 'redis-2';
const LABELS: Record<Setup, string> = {
  memory: 'Rowcast, 1 node, memory engine',
  'redis-1': 'Rowcast, 1 node on Redis',
  'redis-2': 'Rowcast, 2 nodes on Redis (subscribers split, publisher on node 1)',
};

interface Outcome {
  setup: Setup;
  rounds: Array<{ deliveriesPerSec: number; deliveries: number; expected: number }>;
  deliveriesPerSec: number;
  latency: Summary;
  cdf: Array<[number, number]>;
}

async function reachable(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

async function startNodes(setup: Setup, redisUrl: string, prefix: string, ctx: RunContext): Promise<RowcastHandle[]> {
  const config = setup === 'memory' ? {} : { redis: { url: redisUrl, prefix } };
  const count = setup === 'redis-2' ? 2 : 1;
  const nodes: RowcastHandle[] = [];
  for (let i = 0; i < count; i++)
    nodes.push(await startRowcast(config, { cpuProfDir: ctx.profileDir, profileLabel: `fanout-cluster-${setup}-${i}` }));
  return nodes;
}

/**
 * Issue 8: the fan-out benchmark across a cluster. The same load generator and closed loop as `fanout`, with
 * the subscribers spread over two Rowcast nodes joined through Redis, against one node on Redis and one node
 * with the memory engine: what joining a cluster costs, and what a second node adds.
 */
export const fanoutCluster: Benchmark = {
  name: 'fanout-cluster',
  description: 'fan-out with subscribers on 2 Rowcast nodes joined through Redis, vs 1 node (Redis / memory)',
  async run(ctx) {
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    if (!(await reachable(redisUrl))) throw new Error(`fanout-cluster needs Redis: none reachable at ${redisUrl} (set REDIS_URL)`);
    const size = ctx.smoke ? { subscribers: 50, messages: 200, rounds: 1 } : { subscribers: 1000, messages: 3000, rounds: 2 };
    const payloadBytes = 200;
    const window = 8;
    const sampled = 20;
    const setups: Setup[] = ['memory', 'redis-1', 'redis-2'];
    const outcomes = new Map<Setup, Outcome>();
    const latencies = new Map<Setup, number[]>();
    for (let round = 0; round < size.rounds; round++) {
      const order = setups.map((_, i) => setups[(i + round) % setups.length]);
      for (const setup of order) {
        const prefix = `rowcast-bench:${randomBytes(4).toString('hex')}:`;
        const nodes = await startNodes(setup, redisUrl, prefix, ctx);
        const urls = nodes.map((n) => `ws://127.0.0.1:${n.ready.port}`);
        const gen = await startChild<{ subscribers: number }>('loadgen/fanout-clients.ts', {
          args: {
            kind: 'rowcast',
            url: urls[0],
            urls,
            key: BENCH_KEY_STRING,
            channel: 'fanout',
            subscribers: size.subscribers,
            sampled,
            connectConcurrency: 100,
          },
        });
        try {
          const measure = () =>
            gen.call<FanoutRunResult>('run', { messages: size.messages, payloadBytes, window, warmup: Math.floor(size.messages / 10) });
          const r = await measureWindow(nodes[0], measure);
          const o = outcomes.get(setup) ?? { setup, rounds: [], deliveriesPerSec: 0, latency: summarize([]), cdf: [] };
          o.rounds.push({ deliveriesPerSec: (r.deliveries / r.elapsedMs) * 1000, deliveries: r.deliveries, expected: r.expected });
          outcomes.set(setup, o);
          latencies.set(setup, [...(latencies.get(setup) ?? []), ...r.latenciesMs]);
          console.log(
            `fanout-cluster ${setup} round ${round + 1}: ${fmt(o.rounds.at(-1)!.deliveriesPerSec)} deliveries/s, ${r.deliveries}/${r.expected} delivered`,
          );
        } finally {
          await gen.stop();
          for (const n of nodes) await n.stop();
          if (setup !== 'memory') await deletePrefix(redisUrl, prefix);
        }
      }
    }
    for (const o of outcomes.values()) {
      o.deliveriesPerSec = median(o.rounds.map((r) => r.deliveriesPerSec));
      const samples = latencies.get(o.setup) ?? [];
      o.latency = summarize(samples);
      o.cdf = cdfPoints(samples);
    }
    const memory = outcomes.get('memory')!;
    const two = outcomes.get('redis-2')!;
    const rows = [...outcomes.values()].map((o) => [
      LABELS[o.setup],
      fmt(o.deliveriesPerSec),
      fmt(o.latency.p50),
      fmt(o.latency.p99),
      fmt(o.latency.max),
      `${o.rounds.reduce((a, r) => a + r.deliveries, 0)} / ${o.rounds.reduce((a, r) => a + r.expected, 0)}`,
      ratio(o.deliveriesPerSec, memory.deliveriesPerSec),
    ]);
    return {
      name: 'fanout-cluster',
      title: 'Fan-out across a 2-node cluster on Redis',
      smoke: ctx.smoke,
      setup: [
        `${size.subscribers} subscriber connections on one channel, ${size.messages} messages of ${payloadBytes} bytes per round, ${size.rounds} round(s), setup order rotated per round`,
        'Load generator: the `fanout` one (raw `ws` clients speaking Ably protocol v6 JSON), subscriber i on node i mod n, the publisher on node 1',
        `Closed loop: ${window} messages in flight (published, not yet received by all ${sampled} sampled subscribers, which are spread over both nodes)`,
        `Redis: ${redisUrl.replace(/\/\/[^@]*@/, '//***@')}, one key prefix per run, deleted afterwards; every node and the load generator on this machine (2 cores shared)`,
      ],
      table: {
        headers: ['Setup', 'Deliveries/s (median)', 'p50 ms', 'p99 ms', 'max ms', 'Delivered / expected', 'Deliveries/s ÷ memory engine'],
        rows,
      },
      goals: [
        {
          goal: 'Every message delivered to every subscriber on 2 nodes',
          measured: `${two.rounds.reduce((a, r) => a + r.deliveries, 0)} / ${two.rounds.reduce((a, r) => a + r.expected, 0)}`,
          met: two.rounds.every((r) => r.deliveries === r.expected),
        },
      ],
      charts: [
        {
          file: 'fanout-cluster-latency',
          title: `Fan-out publish-to-receive latency, ${size.subscribers} subscribers, 1 vs 2 nodes`,
          unit: 'ms',
          series: [...outcomes.values()].map((o) => ({ label: LABELS[o.setup], points: o.cdf })),
        },
      ],
      raw: { size, payloadBytes, window, sampled, outcomes: [...outcomes.values()] },
    };
  },
};
