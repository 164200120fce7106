import { startChild } from '../lib/proc.js';
import { BENCH_KEY_STRING, startRowcast } from '../lib/rowcast.js';
import { startBenchPostgres } from '../lib/postgres.js';
import { cdfPoints, fmt, summarize, type Summary } from '../lib/stats.js';
import { ratio, type Benchmark } from '../lib/benchmark.js';
import type { ChatLatencyResult } from '../loadgen/chat-latency.js';

type Path = 'chat' | 'publish';
const PATH_LABELS: Record<Path, string> = {
  chat: '@ably/chat: messages.send (Chat REST API) -> messages.subscribe',
  publish: 'Plain pub/sub: channel.publish -> subscribe (same server, same clients)',
};

interface Outcome {
  path: Path;
  sent: number;
  received: number;
  sendErrors: number;
  perSec: number;
  latency: Summary;
  cdf: Array<[number, number]>;
}

/**
 * Issue 12: a chat message through the Chat API (the SDK's `messages.send`, a REST request that Rowcast turns
 * into a message of the room's channel, kept in PostgreSQL when a database is configured) to another user's
 * subscription, beside a plain realtime publish on the same server in the same run. Closed loop, so msg/s is
 * what the path sustains and latency is at that load.
 */
export const chatApi: Benchmark = {
  name: 'chat-api',
  description: 'Chat API send -> receive (messages/s, p50/p99) with a database, beside a plain publish',
  async run(ctx) {
    const size = ctx.smoke
      ? { concurrency: 4, durationMs: 2000, warmupMs: 300 }
      : {
          concurrency: Number(process.env.BENCH_CHAT_API_CONCURRENCY ?? 20),
          durationMs: Number(process.env.BENCH_CHAT_API_MS ?? 20_000),
          warmupMs: 3000,
        };
    const contentBytes = 100;
    const pgc = await startBenchPostgres();
    const outcomes: Outcome[] = [];
    try {
      const dbUrl = await pgc.createDatabase('bench_chat_api');
      const server = await startRowcast({ database: { url: dbUrl } }, { cpuProfDir: ctx.profileDir, profileLabel: 'chat-api' });
      const gen = await startChild('loadgen/chat-latency.ts', { args: { port: server.ready.port, key: BENCH_KEY_STRING } });
      try {
        // publish first, then chat: each path gets the same warm server and clients
        for (const path of ['publish', 'chat'] as const) {
          const r = await server.profileWindow(() =>
            gen.call<ChatLatencyResult>('run', {
              path,
              concurrency: size.concurrency,
              durationMs: size.durationMs,
              warmupMs: size.warmupMs,
              contentBytes,
            }),
          );
          const o: Outcome = {
            path,
            sent: r.sent,
            received: r.received,
            sendErrors: r.sendErrors,
            perSec: r.perSec,
            latency: summarize(r.latenciesMs),
            cdf: cdfPoints(r.latenciesMs),
          };
          outcomes.push(o);
          console.log(
            `chat-api ${path}: ${fmt(o.perSec)} msg/s, p50 ${fmt(o.latency.p50)} ms, p99 ${fmt(o.latency.p99)} ms, ${o.sendErrors} send errors`,
          );
        }
      } finally {
        await gen.stop();
        await server.stop();
      }
    } finally {
      await pgc.stop();
    }
    const chat = outcomes.find((o) => o.path === 'chat')!;
    const plain = outcomes.find((o) => o.path === 'publish')!;
    return {
      name: 'chat-api',
      title: 'Chat API: send to receive, rows in PostgreSQL, beside a plain publish',
      smoke: ctx.smoke,
      setup: [
        `Two \`ably\` SDK clients (2.28.0, msgpack, one process) in one room through \`@ably/chat\` 1.4.0: one sends, the other subscribes; closed loop with ${size.concurrency} messages in flight, ${size.durationMs / 1000} s per path, first ${size.warmupMs / 1000} s left out`,
        `Chat path: \`room.messages.send({ text })\` = \`POST /chat/v4/rooms/{room}/messages\` -> the room channel's message (stored by the chat rooms' message store) -> \`room.messages.subscribe\`; text ${contentBytes} bytes`,
        'Plain path: `channel.publish` over the realtime connection -> `channel.subscribe`, same server, same two connections, same text',
        'Latency = send call to the receiving callback (one machine clock); msg/s = measured receipts ÷ the measured window',
        `Rowcast with \`database\` configured; PostgreSQL: ${process.env.BENCH_DATABASE_URL ? 'BENCH_DATABASE_URL' : 'dedicated embedded PostgreSQL 17 (fsync on)'}`,
      ],
      table: {
        headers: ['Path', 'msg/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'Received (send errors)', 'msg/s vs plain', 'p50 vs plain'],
        rows: outcomes.map((o) => [
          PATH_LABELS[o.path],
          fmt(o.perSec),
          fmt(o.latency.p50),
          fmt(o.latency.p90),
          fmt(o.latency.p99),
          fmt(o.latency.max),
          `${o.received} (${o.sendErrors})`,
          ratio(o.perSec, plain.perSec),
          ratio(o.latency.p50, plain.latency.p50),
        ]),
      },
      goals: [
        {
          goal: 'every chat message sent is received, none refused',
          measured: `${chat.received} received, ${chat.sendErrors} send errors`,
          met: chat.received > 0 && chat.sendErrors === 0,
        },
      ],
      charts: [
        {
          file: 'chat-api-latency',
          title: `Send to receive, ${size.concurrency} in flight`,
          unit: 'ms',
          series: outcomes.map((o) => ({ label: o.path === 'chat' ? 'Chat API (@ably/chat)' : 'plain publish', points: o.cdf })),
        },
      ],
      raw: { size, contentBytes, outcomes },
    };
  },
};
