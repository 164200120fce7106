import { startChild } from '../lib/proc.js';
import { BENCH_KEY_STRING, startRowcast } from '../lib/rowcast.js';
import { CHAT_DATA_DDL, startBenchPostgres } from '../lib/postgres.js';
import { cdfPoints, fmt, summarize, type Summary } from '../lib/stats.js';
import type { Benchmark } from '../lib/benchmark.js';
import type { SdkLatencyResult } from '../loadgen/sdk-latency.js';

type Capture = 'logical' | 'trigger';
type Via = 'rule' | 'insert';
const CAPTURE_LABELS: Record<Capture, string> = {
  logical: 'Rowcast change stream (logical replication)',
  trigger: 'Peer: original capture (row trigger + pg_notify + LISTEN)',
};
const VIA_LABELS: Record<Via, string> = {
  rule: 'whole path',
  insert: 'rows INSERTed directly (capture + fan-out only)',
};

interface Outcome {
  capture: Capture;
  via: Via;
  /** Offered msg/s. */
  rate: number;
  published: number;
  received: number;
  expected: number;
  publishErrors: number;
  sustainedPerSec: number;
  loadgenCpu: number;
  latency: Summary;
  toInsert: Summary;
  afterInsert: Summary;
  toAccept: Summary;
  cdf: Array<[number, number]>;
}

/**
 * The chat's rule, as the app configures it (rowcast.config.json): outgoing-chat messages to the chat's Lambda-style
 * function, batched (up to 100 queued messages per call, as Ably's rules deliver).
 */
const CHAT_RULE = {
  id: 'chat',
  channelFilter: '^outgoing-chat$',
  batch: { maxMessages: 100 },
  target: { type: 'function', module: '../apps/chat/function.js' },
};

/**
 * Issue 7 benchmark 1: the whole database-driven path of the chat. SDK publisher -> outgoing-chat -> rule ->
 * chat function INSERT -> capture -> incoming-chat -> SDK subscribers. The compared runs differ only in the
 * capture: Rowcast's change stream, or the original connector's trigger + pg_notify + LISTEN publishing
 * in-process. A second pair INSERTs the rows directly (no rule), isolating capture + fan-out.
 */
export const dbPath: Benchmark = {
  name: 'db-path',
  description: 'DB-driven chat path latency (rule, INSERT, capture, fan-out) vs trigger + pg_notify',
  async run(ctx) {
    const size = ctx.smoke
      ? { sdkSubscribers: 2, rawSubscribers: 3, rate: 50, durationMs: 2000, warmupMs: 300, tailMs: 10_000 }
      : {
          sdkSubscribers: Number(process.env.BENCH_DB_PATH_SDK ?? 10),
          rawSubscribers: 100 - Number(process.env.BENCH_DB_PATH_SDK ?? 10),
          rate: Number(process.env.BENCH_DB_PATH_RATE ?? 500),
          durationMs: Number(process.env.BENCH_DB_PATH_MS ?? 30_000),
          warmupMs: 3000,
          tailMs: 60_000,
        };
    const contentBytes = 60;
    // the second row: the whole path sustained at twice the rate (Rowcast only; BENCH_DB_PATH_HIGH_RATE=0
    // leaves it out)
    const highRate = ctx.smoke ? size.rate * 2 : Number(process.env.BENCH_DB_PATH_HIGH_RATE ?? 1000);
    // and a chat's own pace, where a message usually finds its rule's lane idle (Rowcast only;
    // BENCH_DB_PATH_LOW_RATE=0 leaves it out; not in the smoke run)
    const lowRate = ctx.smoke ? 0 : Number(process.env.BENCH_DB_PATH_LOW_RATE ?? 50);
    const ruleRuns: Array<[Via, Capture, number]> = [
      ['rule', 'logical', size.rate],
      ['rule', 'trigger', size.rate],
      ...(highRate > 0 ? [['rule', 'logical', highRate] as [Via, Capture, number]] : []),
      ...(lowRate > 0 ? [['rule', 'logical', lowRate] as [Via, Capture, number]] : []),
    ];
    const insertRuns: Array<[Via, Capture, number]> = [
      ['insert', 'logical', size.rate],
      ['insert', 'trigger', size.rate],
    ];
    // BENCH_DB_PATH_VIA=rule|insert runs one half, =rowcast Rowcast's whole-path rows alone (quicker comparisons
    // while working; the goals need the full set)
    const via = process.env.BENCH_DB_PATH_VIA;
    const runs =
      via === 'insert'
        ? insertRuns
        : via === 'rowcast'
          ? ruleRuns.filter(([, capture]) => capture === 'logical')
          : ctx.smoke || via === 'rule'
            ? ruleRuns
            : [...ruleRuns, ...insertRuns];
    const pgc = await startBenchPostgres();
    const outcomes: Outcome[] = [];
    try {
      for (const [via, capture, rate] of runs) {
        const dbUrl = await pgc.createDatabase(`bench_dbpath_${via}_${capture}_${rate}`);
        await pgc.sql(dbUrl, CHAT_DATA_DDL);
        const config: Record<string, unknown> = { database: { url: dbUrl } };
        if (via === 'rule') config.rules = [CHAT_RULE];
        if (capture === 'logical') {
          config.connector = {
            connector: [{ tablename: 'chat_data', ablychannelname: 'incoming-chat', operation: 'INSERT' }],
            slotName: `bench_dbpath_${via}_${rate}`,
            publicationName: 'bench_dbpath',
          };
        }
        const server = await startRowcast(config, {
          cpuProfDir: ctx.profileDir,
          profileLabel: `db-path-${via}-${capture}-${rate}`,
          triggerCapture:
            capture === 'trigger' ? { databaseUrl: dbUrl, table: 'chat_data', channel: 'incoming-chat', operations: ['INSERT'] } : undefined,
        });
        const gen = await startChild('loadgen/sdk-latency.ts', {
          args: {
            port: server.ready.port,
            key: BENCH_KEY_STRING,
            sdkSubscribers: size.sdkSubscribers,
            rawSubscribers: size.rawSubscribers,
            subscribeChannel: 'incoming-chat',
            publishChannel: 'outgoing-chat',
            useBinaryProtocol: true,
            databaseUrl: dbUrl,
          },
        });
        try {
          const r = await server.profileWindow(() =>
            gen.call<SdkLatencyResult>('run', {
              rate,
              durationMs: size.durationMs,
              warmupMs: size.warmupMs,
              contentBytes,
              tailMs: size.tailMs,
              via,
            }),
          );
          const o: Outcome = {
            capture,
            via,
            rate,
            published: r.published,
            received: r.received,
            expected: r.expected,
            publishErrors: r.publishErrors,
            sustainedPerSec: r.sustainedPerSec,
            loadgenCpu: r.loadgenCpu,
            latency: summarize(r.latenciesMs),
            toInsert: summarize(r.toInsertMs),
            afterInsert: summarize(r.afterInsertMs),
            toAccept: summarize(r.toAcceptMs),
            cdf: cdfPoints(r.latenciesMs),
          };
          outcomes.push(o);
          console.log(
            `db-path ${via} ${capture} ${rate} msg/s: ${r.received}/${r.expected} received, p50 ${fmt(o.latency.p50)} ms, p99 ${fmt(o.latency.p99)} ms, sustained ${fmt(o.sustainedPerSec)} msg/s, load generator CPU ${fmt(o.loadgenCpu)}`,
          );
        } finally {
          await gen.stop();
          await server.stop();
        }
      }
    } finally {
      await pgc.stop();
    }
    const find = (via: Via, capture: Capture, rate = size.rate) => outcomes.find((o) => o.via === via && o.capture === capture && o.rate === rate);
    const rc = find('rule', 'logical') ?? outcomes[0];
    const peer = find('rule', 'trigger') ?? outcomes[1] ?? rc;
    const rcHigh = find('rule', 'logical', highRate);
    const completeRun = (o: Outcome) => o.received === o.expected && o.received > 0;
    const complete = completeRun(rc);
    const rcDirect = find('insert', 'logical');
    const peerDirect = find('insert', 'trigger');
    // issue 14's goals
    const goals = [
      { goal: `p50 ≤ 3 ms (whole path, ${size.rate} msg/s)`, measured: `${fmt(rc.latency.p50)} ms`, met: complete && rc.latency.p50 <= 3 },
      { goal: `p99 ≤ 12 ms (whole path, ${size.rate} msg/s)`, measured: `${fmt(rc.latency.p99)} ms`, met: complete && rc.latency.p99 <= 12 },
      {
        goal: 'p99 ≥ 3x lower than the trigger + pg_notify peer (whole path)',
        measured: `peer p99 ÷ Rowcast p99 = ${fmt(peer.latency.p99 / rc.latency.p99)}x`,
        met: complete && peer.latency.p99 >= 3 * rc.latency.p99,
      },
    ];
    if (rcHigh) {
      goals.push({
        goal: `sustained at ${highRate} msg/s with p99 ≤ 25 ms (whole path)`,
        measured: `${fmt(rcHigh.sustainedPerSec)} msg/s, p99 ${fmt(rcHigh.latency.p99)} ms`,
        met: completeRun(rcHigh) && rcHigh.sustainedPerSec >= 0.97 * highRate && rcHigh.latency.p99 <= 25,
      });
    }
    if (rcDirect && peerDirect) {
      goals.push({
        goal: "(diagnostic, not the issue's goal) capture + fan-out only: p99 ≥ 3x lower than the peer",
        measured: `peer p99 ÷ Rowcast p99 = ${fmt(peerDirect.latency.p99 / rcDirect.latency.p99)}x (Rowcast p50 ${fmt(rcDirect.latency.p50)} ms, p99 ${fmt(rcDirect.latency.p99)} ms)`,
        met: peerDirect.latency.p99 >= 3 * rcDirect.latency.p99,
      });
    }
    return {
      name: 'db-path',
      title: 'DB-driven path latency: chat message to row to subscribers',
      smoke: ctx.smoke,
      setup: [
        `${size.sdkSubscribers + size.rawSubscribers} subscribers on \`incoming-chat\`: ${size.sdkSubscribers} \`ably\` SDK (2.28.0, msgpack) clients, whose receipts are the latency samples, and ${size.rawSubscribers} raw \`ws\` clients speaking the protocol (JSON frames, ATTACH, byte-scanned: 100 SDK instances decoding 50,000 messages/s in one process would saturate the load generator, not the server); one SDK publisher at ${size.rate} msg/s (and, for Rowcast's whole path, ${[highRate, lowRate].filter((r) => r > 0).join(' and ') || 'no other rate'} msg/s) (open loop) on \`outgoing-chat\` for ${size.durationMs / 1000} s, first ${size.warmupMs / 1000} s left out; all clients in one load-generator process`,
        `Whole path: publish -> rule \`^outgoing-chat$\` (durable PostgreSQL queue) -> apps/chat/function.js INSERT into chat_data -> capture -> \`incoming-chat\` -> subscribers; content ${contentBytes} bytes`,
        'Capture + fan-out only: the load generator INSERTs the same rows itself at the same rate (pool of 4 connections, like the chat function), no rule',
        'Latency = publish() (or INSERT) call to SDK subscriber callback, timestamps in the row\'s msg_data (same machine clock). Split at the INSERT by a bench-only column `inserted_at` (default clock_timestamp(), not written by the function): "to the row" = rule queue + function + INSERT; "row to subscriber" = commit + capture + publish + fan-out. "To the server" = publish to the server accepting it (the message timestamp, which the function stores in created_at_timestamp; whole ms), so "to the row" less it is the rule queue + function + INSERT',
        "Peer: the same Rowcast server, rule and function; capture by the original connector's trigger + pg_notify + LISTEN (one control-table lookup per notification, as the original), publishing in-process (the original used REST: the peer is spared that hop)",
        `Sustained msg/s = rows subscriber 0 received ÷ time from its first to its last receipt: below the offered rate, a queue builds up and latency grows with the run's length (stragglers waited for up to ${size.tailMs / 1000} s)`,
        `PostgreSQL: ${process.env.BENCH_DATABASE_URL ? 'BENCH_DATABASE_URL' : 'dedicated embedded PostgreSQL 17 (fsync on)'}, one fresh database per run`,
      ],
      table: {
        headers: [
          'Capture',
          'Path',
          'Offered msg/s',
          'p50 ms',
          'p90 ms',
          'p99 ms',
          'max ms',
          'To the server p50 / p99',
          'To the row p50 / p99',
          'Row to subscriber p50 / p99',
          'Received / expected',
          'Published (failed)',
          'Sustained msg/s',
          'Load generator CPU',
        ],
        rows: outcomes.map((o) => [
          CAPTURE_LABELS[o.capture],
          VIA_LABELS[o.via],
          String(o.rate),
          fmt(o.latency.p50),
          fmt(o.latency.p90),
          fmt(o.latency.p99),
          fmt(o.latency.max),
          o.via === 'rule' ? `${fmt(o.toAccept.p50)} / ${fmt(o.toAccept.p99)}` : '-',
          `${fmt(o.toInsert.p50)} / ${fmt(o.toInsert.p99)}`,
          `${fmt(o.afterInsert.p50)} / ${fmt(o.afterInsert.p99)}`,
          `${o.received} / ${o.expected}`,
          `${o.published} (${o.publishErrors})`,
          fmt(o.sustainedPerSec),
          fmt(o.loadgenCpu),
        ]),
      },
      goals,
      charts: [
        {
          file: 'db-path-latency',
          title: `DB-driven path, publish-to-receive at ${size.sdkSubscribers} SDK subscribers (of ${size.sdkSubscribers + size.rawSubscribers})`,
          unit: 'ms',
          series: outcomes.map((o) => ({
            label: `${o.capture === 'logical' ? 'Rowcast' : 'trigger peer'}, ${o.via === 'rule' ? 'whole path' : 'INSERT only'}, ${o.rate} msg/s`,
            points: o.cdf,
          })),
        },
      ],
      raw: { size, highRate, lowRate, contentBytes, outcomes },
    };
  },
};
