import { startChild } from '../lib/proc.js';
import { BENCH_KEY_STRING, startRowcast } from '../lib/rowcast.js';
import { CHAT_DATA_DDL, startBenchPostgres } from '../lib/postgres.js';
import { cdfPoints, fmt, summarize, type Summary } from '../lib/stats.js';
import { type Benchmark } from '../lib/benchmark.js';
import type { SdkLatencyResult } from '../loadgen/sdk-latency.js';

type Capture = 'logical' | 'trigger';
const LABELS: Record<Capture, string> = {
  logical: 'Rowcast (logical replication change stream)',
  trigger: 'Peer: original capture (row trigger + pg_notify + LISTEN)',
};

interface Outcome {
  capture: Capture;
  published: number;
  received: number;
  expected: number;
  publishErrors: number;
  latency: Summary;
  toInsert: Summary;
  afterInsert: Summary;
  cdf: Array<[number, number]>;
}

/** The chat's rule, exactly as the app configures it: outgoing-chat messages to the chat's Lambda-style function. */
const CHAT_RULE = { id: 'chat', channelFilter: '^outgoing-chat$', target: { type: 'function', module: '../apps/chat/function.js' } };

/**
 * Issue 7 benchmark 1: the whole database-driven path of the chat. SDK publisher -> outgoing-chat -> rule ->
 * chat function INSERT -> capture -> incoming-chat -> SDK subscribers. The two runs differ only in the capture:
 * Rowcast's change stream, or the original connector's trigger + pg_notify + LISTEN publishing in-process.
 */
export const dbPath: Benchmark = {
  name: 'db-path',
  description: 'DB-driven chat path latency (rule, INSERT, capture, fan-out) vs trigger + pg_notify',
  async run(ctx) {
    const size = ctx.smoke
      ? { subscribers: 5, rate: 50, durationMs: 2000, warmupMs: 300 }
      : { subscribers: 100, rate: 500, durationMs: 30_000, warmupMs: 3000 };
    const contentBytes = 60;
    const pgc = await startBenchPostgres();
    const outcomes: Outcome[] = [];
    try {
      for (const capture of ['logical', 'trigger'] as Capture[]) {
        const dbUrl = await pgc.createDatabase(`bench_dbpath_${capture}`);
        await pgc.sql(dbUrl, CHAT_DATA_DDL);
        const config: Record<string, unknown> = { database: { url: dbUrl }, rules: [CHAT_RULE] };
        if (capture === 'logical') {
          config.connector = {
            connector: [{ tablename: 'chat_data', ablychannelname: 'incoming-chat', operation: 'INSERT' }],
            slotName: 'bench_dbpath', publicationName: 'bench_dbpath',
          };
        }
        const server = await startRowcast(config, {
          cpuProfDir: ctx.profileDir,
          profileLabel: `db-path-${capture}`,
          triggerCapture: capture === 'trigger' ? { databaseUrl: dbUrl, table: 'chat_data', channel: 'incoming-chat', operations: ['INSERT'] } : undefined,
        });
        const gen = await startChild('loadgen/sdk-latency.ts', {
          args: { port: server.ready.port, key: BENCH_KEY_STRING, subscribers: size.subscribers, subscribeChannel: 'incoming-chat', publishChannel: 'outgoing-chat', useBinaryProtocol: true },
        });
        try {
          const r = await server.profileWindow(() => gen.call<SdkLatencyResult>('run', { rate: size.rate, durationMs: size.durationMs, warmupMs: size.warmupMs, contentBytes }));
          outcomes.push({ capture, published: r.published, received: r.received, expected: r.expected, publishErrors: r.publishErrors, latency: summarize(r.latenciesMs),
            toInsert: summarize(r.toInsertMs), afterInsert: summarize(r.afterInsertMs), cdf: cdfPoints(r.latenciesMs) });
          console.log(`db-path ${capture}: ${r.received}/${r.expected} received, p50 ${fmt(outcomes.at(-1)!.latency.p50)} ms, p99 ${fmt(outcomes.at(-1)!.latency.p99)} ms`);
        } finally {
          await gen.stop();
          await server.stop();
        }
      }
    } finally {
      await pgc.stop();
    }
    const rc = outcomes.find((o) => o.capture === 'logical')!;
    const peer = outcomes.find((o) => o.capture === 'trigger')!;
    const complete = rc.received === rc.expected && rc.received > 0;
    return {
      name: 'db-path',
      title: 'DB-driven path latency: chat message to row to subscribers',
      smoke: ctx.smoke,
      setup: [
        `${size.subscribers} \`ably\` SDK (2.28.0, msgpack) subscribers on \`incoming-chat\`; one SDK publisher at ${size.rate} msg/s (open loop) on \`outgoing-chat\` for ${size.durationMs / 1000} s, first ${size.warmupMs / 1000} s left out; all clients in one load-generator process`,
        `Path: publish -> rule \`^outgoing-chat$\` (durable PostgreSQL queue) -> apps/chat/function.js INSERT into chat_data -> capture -> \`incoming-chat\` -> subscribers; content ${contentBytes} bytes`,
        'Latency = SDK publish() call to SDK subscriber callback, timestamps in the row\'s msg_data (same machine clock). Split at the INSERT by a bench-only column `inserted_at` (default clock_timestamp(), not written by the function): "to the row" = rule queue + function + INSERT; "row to subscriber" = commit + capture + publish + fan-out',
        'Peer: the same Rowcast server, rule and function; capture by the original connector\'s trigger + pg_notify + LISTEN (one control-table lookup per notification, as the original), publishing in-process (the original used REST: the peer is spared that hop)',
        `PostgreSQL: ${process.env.BENCH_DATABASE_URL ? 'BENCH_DATABASE_URL' : 'dedicated embedded PostgreSQL 17'}, one fresh database per run`,
      ],
      table: {
        headers: ['Capture', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'To the row p50 / p99', 'Row to subscriber p50 / p99', 'Received / expected', 'Published (NACKed)'],
        rows: outcomes.map((o) => [LABELS[o.capture], fmt(o.latency.p50), fmt(o.latency.p90), fmt(o.latency.p99), fmt(o.latency.max),
          `${fmt(o.toInsert.p50)} / ${fmt(o.toInsert.p99)}`, `${fmt(o.afterInsert.p50)} / ${fmt(o.afterInsert.p99)}`,
          `${o.received} / ${o.expected}`, `${o.published} (${o.publishErrors})`]),
      },
      goals: [
        { goal: 'p50 ≤ 5 ms', measured: `${fmt(rc.latency.p50)} ms`, met: complete && rc.latency.p50 <= 5 },
        { goal: 'p99 ≤ 25 ms', measured: `${fmt(rc.latency.p99)} ms`, met: complete && rc.latency.p99 <= 25 },
        { goal: 'p99 ≥ 3x lower than the trigger + pg_notify peer', measured: `peer p99 ÷ Rowcast p99 = ${fmt(peer.latency.p99 / rc.latency.p99)}x`, met: complete && peer.latency.p99 >= 3 * rc.latency.p99 },
      ],
      charts: [{
        file: 'db-path-latency',
        title: `DB-driven path, publish-to-receive, ${size.rate} msg/s, ${size.subscribers} SDK subscribers`,
        unit: 'ms',
        series: outcomes.map((o) => ({ label: o.capture === 'logical' ? 'Rowcast change stream' : 'trigger + pg_notify peer', points: o.cdf })),
      }],
      raw: { size, contentBytes, outcomes },
    };
  },
};
