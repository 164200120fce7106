import { startChild, type ChildHandle } from '../lib/proc.js';
import { BENCH_KEY_STRING, measureWindow, startRowcast } from '../lib/rowcast.js';
import { cdfPoints, fmt, median, summarize, type Summary } from '../lib/stats.js';
import { ratio, type Benchmark, type RunContext } from '../lib/benchmark.js';
import type { SystemKind } from '../lib/raw-clients.js';
import type { FanoutRunResult } from '../loadgen/fanout-clients.js';

const LABELS: Record<SystemKind, string> = { rowcast: 'Rowcast', ws: 'minimal ws (one send() per client)', socketio: 'socket.io 4.8 room' };

interface SystemOutcome {
  kind: SystemKind;
  rounds: Array<{ deliveriesPerSec: number; deliveries: number; expected: number; elapsedMs: number; loadgenCpu: number }>;
  deliveriesPerSec: number;
  latency: Summary;
  cdf: Array<[number, number]>;
}

/** Starts the server side of one system in its own process. */
async function startSystem(kind: SystemKind, ctx: RunContext): Promise<ChildHandle<{ port: number }>> {
  if (kind === 'ws') return startChild('peers/ws-broadcast.ts');
  if (kind === 'socketio') return startChild('peers/socketio-room.ts');
  return startRowcast({}, { cpuProfDir: ctx.profileDir, profileLabel: 'fanout-rowcast' });
}

/** Issue 7 benchmark 2: deliveries/s and publish-to-receive latency, 1,000 subscribers on one channel. */
export const fanout: Benchmark = {
  name: 'fanout',
  description: '1,000 subscribers on one channel, 200-byte messages: Rowcast vs minimal ws vs socket.io',
  async run(ctx) {
    const size = ctx.smoke ? { subscribers: 50, messages: 200, rounds: 1 } : { subscribers: 1000, messages: 3000, rounds: 2 };
    const payloadBytes = 200;
    const window = ctx.smoke ? 8 : 16;
    const sampled = 20;
    const kinds: SystemKind[] = ['rowcast', 'ws', 'socketio'];
    const outcomes = new Map<SystemKind, SystemOutcome>();
    const latencies = new Map<SystemKind, number[]>();
    for (let round = 0; round < size.rounds; round++) {
      // Rotate the order each round so no system always runs first (on a cold or a warm machine).
      const order = kinds.map((_, i) => kinds[(i + round) % kinds.length]);
      for (const kind of order) {
        const server = await startSystem(kind, ctx);
        const gen = await startChild<{ subscribers: number }>('loadgen/fanout-clients.ts', {
          args: {
            kind,
            url: `ws://127.0.0.1:${server.ready.port}`,
            key: BENCH_KEY_STRING,
            channel: 'fanout',
            subscribers: size.subscribers,
            sampled,
            connectConcurrency: 100,
          },
        });
        try {
          const r = await measureWindow(server, () =>
            gen.call<FanoutRunResult>('run', { messages: size.messages, payloadBytes, window, warmup: Math.floor(size.messages / 10) }),
          );
          const o = outcomes.get(kind) ?? { kind, rounds: [], deliveriesPerSec: 0, latency: summarize([]), cdf: [] };
          o.rounds.push({
            deliveriesPerSec: (r.deliveries / r.elapsedMs) * 1000,
            deliveries: r.deliveries,
            expected: r.expected,
            elapsedMs: r.elapsedMs,
            loadgenCpu: r.loadgenCpu,
          });
          outcomes.set(kind, o);
          latencies.set(kind, [...(latencies.get(kind) ?? []), ...r.latenciesMs]);
          console.log(
            `fanout ${kind} round ${round + 1}: ${fmt(o.rounds.at(-1)!.deliveriesPerSec)} deliveries/s, ${r.deliveries}/${r.expected} delivered, load generator CPU ${fmt(r.loadgenCpu)}`,
          );
        } finally {
          await gen.stop();
          await server.stop();
        }
      }
    }
    for (const o of outcomes.values()) {
      o.deliveriesPerSec = median(o.rounds.map((r) => r.deliveriesPerSec));
      const samples = latencies.get(o.kind) ?? [];
      o.latency = summarize(samples);
      o.cdf = cdfPoints(samples);
    }
    const rc = outcomes.get('rowcast');
    const ws = outcomes.get('ws')!;
    const sio = outcomes.get('socketio')!;
    const rows = [...outcomes.values()].map((o) => [
      LABELS[o.kind],
      fmt(o.deliveriesPerSec),
      fmt(o.latency.p50),
      fmt(o.latency.p99),
      fmt(o.latency.max),
      `${o.rounds.reduce((a, r) => a + r.deliveries, 0)} / ${o.rounds.reduce((a, r) => a + r.expected, 0)}`,
      rc ? ratio(rc.deliveriesPerSec, o.deliveriesPerSec) : 'n/a',
      o.rounds.map((r) => fmt(r.loadgenCpu)).join(', '),
    ]);
    return {
      name: 'fanout',
      title: 'Fan-out: 1,000 subscribers on one channel',
      smoke: ctx.smoke,
      setup: [
        `${size.subscribers} subscriber connections on one channel, ${size.messages} messages of ${payloadBytes} bytes per round, ${size.rounds} round(s), system order rotated per round`,
        "Load generator: one separate process, the same code for all systems: raw `ws` clients speaking each system's protocol (Rowcast: Ably protocol v6 JSON frames, CONNECTED then ATTACH; socket.io: engine.io v4 framing); 1,000 SDK instances in one process would measure the SDK, not the server",
        `Closed loop: the publisher keeps ${window} messages in flight (published, not yet received by all ${sampled} sampled subscribers), so each system runs as fast as it delivers`,
        `Latency = publish-to-receive on ${sampled} sampled subscribers (timestamp in the payload, same process clock), first 10% of messages left out as warm-up`,
        rc ? 'Rowcast: `startServer` with the memory engine, default settings' : 'Rowcast: not measured (@rowcast/server has no startServer yet)',
      ],
      table: {
        headers: [
          'System',
          'Deliveries/s (median)',
          'p50 ms',
          'p99 ms',
          'max ms',
          'Delivered / expected',
          'Rowcast deliveries/s ÷ this',
          'Load generator CPU (cores)',
        ],
        rows,
      },
      goals: [
        {
          goal: 'Deliveries/s ≥ 2x socket.io',
          measured: rc ? ratio(rc.deliveriesPerSec, sio.deliveriesPerSec) : 'not run',
          met: rc ? rc.deliveriesPerSec >= 2 * sio.deliveriesPerSec : null,
        },
        {
          goal: 'Deliveries/s ≥ 1x minimal ws',
          measured: rc ? ratio(rc.deliveriesPerSec, ws.deliveriesPerSec) : 'not run',
          met: rc ? rc.deliveriesPerSec >= ws.deliveriesPerSec : null,
        },
      ],
      charts: [
        {
          file: 'fanout-latency',
          title: `Fan-out publish-to-receive latency, ${size.subscribers} subscribers, ${payloadBytes}-byte messages`,
          unit: 'ms',
          series: [...outcomes.values()].map((o) => ({ label: LABELS[o.kind], points: o.cdf })),
        },
      ],
      raw: { size, payloadBytes, window, sampled, outcomes: [...outcomes.values()] },
    };
  },
};
