import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { RulesEngine, rulesSectionSchema } from '@rowcast/rules';
import type { AcceptedEvent } from '@rowcast/core';
import { startChild } from '../lib/proc.js';
import { BENCH_KEY_STRING, measureWindow, startRowcast } from '../lib/rowcast.js';
import { cdfPoints, fmt, median, summarize, type Summary } from '../lib/stats.js';
import { ratio, type Benchmark, type RunContext } from '../lib/benchmark.js';
import type { PublishRunResult } from '../loadgen/rules-publisher.js';

/**
 * Issue 5: a rule on a channel pattern with no traffic adds no work to other channels. The same publisher (the
 * `ably` SDK in its own process) publishes on `traffic` against Rowcast with no rules, with one rule and with 20
 * rules whose patterns never match `traffic`, and, for contrast, with a rule that does match it. Measured: the
 * server's CPU time per publish (from /proc, the whole process), publishes/s, and publish-to-ACK latency (the
 * ACK waits for the rules' hook, so it includes whatever the rules add). Plus the hook's own cost per call.
 */

const NOOP_FUNCTION = fileURLToPath(new URL('../../packages/rules/test-fixtures/noop-function.mjs', import.meta.url));
const NEVER_CALLED = 'http://127.0.0.1:9/never-called';

interface Variant {
  key: string;
  label: string;
  rules: unknown[];
}

const idleRule = (i: number) => ({ id: `idle-${i}`, channelFilter: `^idle-pattern-${i}:`, target: { type: 'http', url: NEVER_CALLED } });

const VARIANTS: Variant[] = [
  { key: 'none', label: 'no rules (baseline)', rules: [] },
  { key: 'idle1', label: '1 rule, pattern with no traffic', rules: [idleRule(0)] },
  { key: 'idle20', label: '20 rules, patterns with no traffic', rules: Array.from({ length: 20 }, (_, i) => idleRule(i)) },
  {
    key: 'match',
    label: 'contrast: 1 rule matching `traffic` (no-op function, PostgreSQL queue)',
    rules: [{ id: 'busy', channelFilter: '^traffic$', target: { type: 'function', module: NOOP_FUNCTION } }],
  },
];

interface Round {
  publishesPerSec: number;
  cpuUsPerPublish: number;
}

/** User + system CPU time of a process so far, in µs (Linux /proc; clock ticks of 10 ms). */
function cpuTimeUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after the command name: state is field 3, utime field 14, stime field 15 (1-based in proc(5))
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / 100) * 1e6;
}

/** A database for the rules queue: BENCH_DATABASE_URL / DATABASE_URL, else the system PostgreSQL. */
async function benchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `rowcast_bench_rules_${process.pid}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** ns per call of the rules hook for a channel no rule matches, against an empty function (same loop). */
async function hookCost(calls: number): Promise<{ hookNs: number; emptyNs: number }> {
  const engine = await RulesEngine.start({
    rules: rulesSectionSchema.parse(VARIANTS[2].rules),
    logger: pino({ level: 'silent' }),
    baseDir: process.cwd(),
    appId: 'bench',
    site: 'bench',
    resolveSigningKey: () => undefined,
  });
  const event: AcceptedEvent = {
    kind: 'message',
    channel: 'traffic',
    messages: [{ id: 'c:1:0', timestamp: Date.now(), serial: '1', name: 'bench', data: 'x' }],
  };
  const empty = (_: AcceptedEvent): void | Promise<void> => undefined;
  const time = (fn: (e: AcceptedEvent) => void | Promise<void>) => {
    let sink = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) if (fn(event) !== undefined) sink++;
    const ns = Number(process.hrtime.bigint() - start) / calls;
    if (sink !== 0) throw new Error('a non-matching channel returned a promise');
    return ns;
  };
  time(engine.hook);
  time(empty); // warm both paths up
  const hookNs = median([time(engine.hook), time(engine.hook), time(engine.hook)]);
  const emptyNs = median([time(empty), time(empty), time(empty)]);
  await engine.stop();
  return { hookNs, emptyNs };
}

async function runVariant(variant: Variant, databaseUrl: string, size: { messages: number; window: number }, ctx: RunContext) {
  const server = await startRowcast(
    { database: { url: databaseUrl }, ...(variant.rules.length ? { rules: variant.rules } : {}) },
    { cpuProfDir: ctx.profileDir, profileLabel: `rules-idle-${variant.key}` },
  );
  const gen = await startChild<{ connectionId: string }>('loadgen/rules-publisher.ts', {
    args: { port: server.ready.port, key: BENCH_KEY_STRING },
  });
  try {
    await gen.call<PublishRunResult>('run', { channel: 'traffic', messages: Math.ceil(size.messages / 10), window: size.window, payloadBytes: 100 });
    const { r, cpuUs } = await measureWindow(server, async () => {
      const cpuBefore = cpuTimeUs(server.pid);
      const result = await gen.call<PublishRunResult>('run', { channel: 'traffic', messages: size.messages, window: size.window, payloadBytes: 100 });
      return { r: result, cpuUs: cpuTimeUs(server.pid) - cpuBefore };
    });
    return { round: { publishesPerSec: (r.published / r.elapsedMs) * 1000, cpuUsPerPublish: cpuUs / r.published }, ackMs: r.ackMs };
  } finally {
    await gen.stop();
    await server.stop();
  }
}

export const rulesIdle: Benchmark = {
  name: 'rules-idle',
  description: 'A rule on a pattern with no traffic vs no rules: server CPU per publish, throughput, ACK latency',
  async run(ctx) {
    const size = ctx.smoke
      ? { messages: 200, window: 16, rounds: 1, hookCalls: 100_000 }
      : { messages: 10_000, window: 16, rounds: 3, hookCalls: 5_000_000 };
    // the smoke run only keeps the code working: two server starts instead of four
    const variants = ctx.smoke ? VARIANTS.filter((v) => v.key === 'none' || v.key === 'idle1') : VARIANTS;
    const db = await benchDatabase();
    const rounds = new Map<string, Round[]>(variants.map((v) => [v.key, []]));
    const acks = new Map<string, number[]>(variants.map((v) => [v.key, []]));
    try {
      for (let round = 0; round < size.rounds; round++) {
        // rotate the order so no variant always runs first on a cold (or last on a warm) machine
        const order = variants.map((_, i) => variants[(i + round) % variants.length]);
        for (const variant of order) {
          const { round: r, ackMs } = await runVariant(variant, db.url, size, ctx);
          rounds.get(variant.key)!.push(r);
          acks.get(variant.key)!.push(...ackMs);
        }
      }
    } finally {
      await db.drop();
    }
    const cost = await hookCost(size.hookCalls);

    const summary = new Map<string, { pps: number; cpu: number; ack: Summary; spread: number }>();
    for (const v of variants) {
      const rs = rounds.get(v.key)!;
      const cpus = rs.map((r) => r.cpuUsPerPublish);
      const cpu = median(cpus);
      summary.set(v.key, {
        pps: median(rs.map((r) => r.publishesPerSec)),
        cpu,
        ack: summarize(acks.get(v.key)!),
        spread: cpus.length > 1 ? (Math.max(...cpus) - Math.min(...cpus)) / cpu : 0,
      });
    }
    const base = summary.get('none')!;
    const rows = variants.map((v) => {
      const s = summary.get(v.key)!;
      return [v.label, fmt(s.pps), fmt(s.cpu), ratio(s.cpu, base.cpu), fmt(s.ack.p50), fmt(s.ack.p99)];
    });
    rows.push([
      'hook call for a non-matching channel (in-process)',
      '',
      `${fmt(cost.hookNs)} ns/call`,
      ratio(cost.hookNs, cost.emptyNs) + ' of an empty call',
      '',
      '',
    ]);
    const noise = Math.max(0.05, base.spread);
    const idle1 = summary.get('idle1')!;
    const idle20 = summary.get('idle20');
    return {
      name: 'rules-idle',
      title: 'Integration rules: a rule on a pattern with no traffic costs other channels nothing',
      setup: [
        `${size.messages.toLocaleString('en')} publishes of 100-byte strings on channel \`traffic\` per run, ${size.window} in flight, one \`ably\` SDK realtime publisher (msgpack) in its own process; a warm-up of ${Math.ceil(size.messages / 10)} first`,
        `Rowcast in its own process with a PostgreSQL database configured (rules queue), ${size.rounds} round(s), order rotated; medians of the rounds`,
        'server CPU = user + system time of the whole server process during the measured run, from /proc (10 ms ticks), divided by publishes',
        `idle rules: channelFilter \`^idle-pattern-N:\` with a webhook target that is never called; hook micro-measurement: ${size.hookCalls.toLocaleString('en')} calls, median of 3`,
        `baseline CPU/publish spread between rounds: ${(base.spread * 100).toFixed(1)}%`,
      ],
      table: { headers: ['Configuration', 'publishes/s', 'server CPU µs/publish', 'CPU vs no rules', 'ACK p50 ms', 'ACK p99 ms'], rows },
      goals: [
        {
          goal: 'a rule on a pattern with no traffic adds no work to other channels (CPU/publish within noise of no rules)',
          measured:
            `1 idle rule ${ratio(idle1.cpu, base.cpu)}` +
            (idle20 ? `, 20 idle rules ${ratio(idle20.cpu, base.cpu)}` : '') +
            ` of the baseline's CPU/publish (noise ±${(noise * 100).toFixed(0)}%); hook ${fmt(cost.hookNs)} ns/call`,
          met: ctx.smoke || !idle20 ? null : idle1.cpu <= base.cpu * (1 + noise) && idle20.cpu <= base.cpu * (1 + noise),
        },
      ],
      charts: [
        {
          file: 'rules-idle-ack',
          title: 'Publish-to-ACK latency on `traffic`',
          unit: 'ms',
          series: variants.map((v) => ({ label: v.label, points: cdfPoints(acks.get(v.key)!) })),
        },
      ],
      raw: { rounds: Object.fromEntries(rounds), hook: cost },
      smoke: ctx.smoke,
    };
  },
};
