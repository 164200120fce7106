import { startChild, type ChildHandle } from '../lib/proc.js';
import { BENCH_KEY_STRING, measureWindow, startRowcast } from '../lib/rowcast.js';
import { sleep } from '../lib/clock.js';
import { fmt } from '../lib/stats.js';
import { ratio, type Benchmark, type RunContext } from '../lib/benchmark.js';
import type { SystemKind } from '../lib/raw-clients.js';
import type { OpenResult } from '../loadgen/idle-connections.js';

const LABELS: Record<SystemKind, string> = { rowcast: 'Rowcast', ws: 'minimal ws', socketio: 'socket.io 4.8 (context)' };

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  gc: boolean;
}

interface Outcome {
  kind: SystemKind;
  opened: number;
  failures: number;
  stillOpen: number;
  connectMs: number;
  connectsPerSec: number;
  before: Memory;
  after: Memory;
  rssPerConn: number;
  heapPerConn: number;
}

async function startSystem(kind: SystemKind, ctx: RunContext): Promise<ChildHandle<{ port: number }>> {
  const nodeFlags = ['--expose-gc'];
  if (kind === 'ws') return startChild('peers/ws-broadcast.ts', { nodeFlags });
  if (kind === 'socketio') return startChild('peers/socketio-room.ts', { nodeFlags });
  return startRowcast({}, { nodeFlags, cpuProfDir: ctx.profileDir, profileLabel: 'connections-rowcast' });
}

/** Issue 7 benchmark 5: memory per idle connection and connect rate, 10,000 connections. */
export const connections: Benchmark = {
  name: 'connections',
  description: '10,000 idle protocol connections: RSS per connection and connect rate vs minimal ws',
  async run(ctx) {
    const count = ctx.smoke ? 300 : 10_000;
    const concurrency = 100;
    const kinds: SystemKind[] = ['rowcast', 'ws', 'socketio'];
    const outcomes: Outcome[] = [];
    for (const kind of kinds) {
      const server = await startSystem(kind, ctx);
      const gen = await startChild('loadgen/idle-connections.ts', {
        args: { kind, url: `ws://127.0.0.1:${server.ready.port}`, key: BENCH_KEY_STRING },
      });
      try {
        // Warm the server's code paths with a few connections so JIT and lazy init are not billed per connection.
        await gen.call<OpenResult>('open', { count: 50, concurrency: 10 });
        await sleep(500);
        const before = await server.call<Memory>('memory');
        const r = await measureWindow(server, () => gen.call<OpenResult>('open', { count, concurrency }));
        await sleep(ctx.smoke ? 300 : 2000); // idle: let per-connection timers and buffers settle
        const after = await server.call<Memory>('memory');
        const stillOpen = (await gen.call<number>('open_count')) - 50;
        outcomes.push({
          kind,
          opened: r.opened,
          failures: r.failures,
          stillOpen,
          connectMs: r.elapsedMs,
          connectsPerSec: (r.opened / r.elapsedMs) * 1000,
          before,
          after,
          rssPerConn: (after.rss - before.rss) / r.opened,
          heapPerConn: (after.heapUsed - before.heapUsed) / r.opened,
        });
        console.log(
          `connections ${kind}: ${r.opened} opened (${r.failures} failed) in ${fmt(r.elapsedMs)} ms, ${fmt((after.rss - before.rss) / r.opened / 1024)} KB RSS each`,
        );
      } finally {
        await gen.stop();
        await server.stop();
      }
    }
    const rc = outcomes.find((o) => o.kind === 'rowcast')!;
    const ws = outcomes.find((o) => o.kind === 'ws')!;
    const kb = (b: number) => fmt(b / 1024);
    return {
      name: 'connections',
      title: 'Connections: 10,000 idle protocol connections',
      smoke: ctx.smoke,
      setup: [
        `${count} connections opened by one separate load-generator process, ${concurrency} handshakes in flight, after 50 warm-up connections`,
        'Rowcast clients: raw `ws` clients speaking the Ably protocol (`?key=…&format=json&v=6&heartbeats=false`), each waits for CONNECTED; they attach nothing (idle); the ws peer sends a hello frame, waited for the same way',
        'Memory: server RSS and heap after 3 forced GCs (--expose-gc), before and 2 s after the connections; per connection = delta ÷ N',
      ],
      table: {
        headers: [
          'System',
          'Connected / asked',
          'Still open when measured',
          'Connects/s',
          'RSS KB per conn',
          'Heap KB per conn',
          'Rowcast RSS per conn ÷ this',
          'Rowcast connects/s ÷ this',
        ],
        rows: outcomes.map((o) => [
          LABELS[o.kind],
          `${o.opened} / ${count}`,
          String(o.stillOpen),
          fmt(o.connectsPerSec),
          kb(o.rssPerConn),
          kb(o.heapPerConn),
          ratio(rc.rssPerConn, o.rssPerConn),
          ratio(rc.connectsPerSec, o.connectsPerSec),
        ]),
      },
      goals: [
        {
          goal: 'Memory ≤ 15 KB per connection (RSS delta / N)',
          measured: `${kb(rc.rssPerConn)} KB (minimal ws: ${kb(ws.rssPerConn)} KB)`,
          met: rc.opened === count && rc.rssPerConn <= 15 * 1024,
        },
      ],
      charts: [],
      raw: { count, concurrency, outcomes },
    };
  },
};
