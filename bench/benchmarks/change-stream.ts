import { startChild, type ChildHandle } from '../lib/proc.js';
import { measureWindow, startRowcast } from '../lib/rowcast.js';
import { startBenchPostgres } from '../lib/postgres.js';
import { sleep } from '../lib/clock.js';
import { fmt, median } from '../lib/stats.js';
import { ratio, type Benchmark, type RunContext } from '../lib/benchmark.js';
import type { RowCounter } from '../peers/logical-floor.js';
import type { WriteResult } from '../loadgen/pg-writer.js';

type Consumer = 'rowcast' | 'floor';
const LABELS: Record<Consumer, string> = {
  rowcast: 'Rowcast change stream (decode, row JSON, publish in-process)',
  floor: 'Floor: bare pg-logical-replication consumer (decode only)',
};

interface RoundResult {
  consumer: Consumer;
  rows: number;
  seen: number;
  writeMs: number;
  /** From the first transaction sent to the last row published (or decoded, for the floor). */
  commitToPublishMs: number;
  rowsPerSec: number;
  /** How long after the last commit the last row came out. */
  tailMs: number;
  /** Rows/s draining the same number of rows written before the consumer started (first to last row out). */
  catchUpRowsPerSec?: number;
}

export const TABLE_DDL = `CREATE TABLE stream_rows (id bigserial PRIMARY KEY, payload text, n int, label text,
  created_at timestamptz DEFAULT now())`;

async function startConsumer(consumer: Consumer, dbUrl: string, ctx: RunContext, phase: 'live' | 'catchup'): Promise<ChildHandle<unknown>> {
  if (consumer === 'floor') {
    return startChild('peers/logical-floor.ts', {
      args: { databaseUrl: dbUrl, table: 'stream_rows', slotName: 'bench_floor', publicationName: 'bench_floor', keepSlot: phase === 'live' },
    });
  }
  return startRowcast(
    {
      database: { url: dbUrl },
      connector: {
        connector: [{ tablename: 'stream_rows', ablychannelname: 'rows', operation: 'INSERT' }],
        slotName: 'bench_stream',
        publicationName: 'bench_stream',
      },
    },
    { countChannel: 'rows', cpuProfDir: ctx.profileDir, profileLabel: `change-stream-${phase}` },
  );
}

/** Issue 7 benchmark 4: change-stream throughput, commit to channel publish, vs a decode-only consumer. */
export const changeStream: Benchmark = {
  name: 'change-stream',
  description: 'Change-stream throughput: 100,000 rows in 1,000-row transactions, commit to publish, vs the bare consumer',
  async run(ctx) {
    const size = ctx.smoke ? { rows: 3000, perTransaction: 500, rounds: 1 } : { rows: 100_000, perTransaction: 1000, rounds: 2 };
    const pgc = await startBenchPostgres();
    const rounds: RoundResult[] = [];
    try {
      for (let round = 0; round < size.rounds; round++) {
        const order: Consumer[] = round % 2 ? ['floor', 'rowcast'] : ['rowcast', 'floor'];
        for (const consumer of order) {
          const dbUrl = await pgc.createDatabase(`bench_stream_${consumer}`);
          await pgc.sql(dbUrl, TABLE_DDL);
          let server = await startConsumer(consumer, dbUrl, ctx, 'live');
          const writer = await startChild('loadgen/pg-writer.ts', { args: { databaseUrl: dbUrl, table: 'stream_rows' } });
          try {
            const { w, c } = await measureWindow(server, async () => {
              const w = await writer.call<WriteResult>('write', { rows: size.rows, perTransaction: size.perTransaction });
              let c = await server.call<RowCounter>('counter');
              let stalled = 0;
              while (c.count < w.rows && stalled < 100) {
                await sleep(100);
                const next = await server.call<RowCounter>('counter');
                stalled = next.count === c.count ? stalled + 1 : 0;
                c = next;
              }
              return { w, c };
            });
            const span = c.lastAt - w.startedAt;
            rounds.push({
              consumer,
              rows: w.rows,
              seen: c.count,
              writeMs: w.lastCommitAt - w.startedAt,
              commitToPublishMs: span,
              rowsPerSec: c.count === w.rows ? (w.rows / span) * 1000 : NaN,
              tailMs: c.lastAt - w.lastCommitAt,
            });
            console.log(
              `change-stream ${consumer} round ${round + 1}: ${c.count}/${w.rows} rows, ${fmt(rounds.at(-1)!.rowsPerSec)} rows/s (write ${fmt(w.lastCommitAt - w.startedAt)} ms)`,
            );
            // Catch-up: the same rows again, written while no consumer runs (the slot keeps them), then the
            // consumer restarts and drains them: its rate from first to last row out, with no writer to wait for.
            await server.stop();
            const w2 = await writer.call<WriteResult>('write', { rows: size.rows, perTransaction: size.perTransaction });
            server = await startConsumer(consumer, dbUrl, ctx, 'catchup');
            const c2 = await measureWindow(server, async () => {
              let c = await server.call<RowCounter>('counter');
              let stalled = 0;
              while (c.count < w2.rows && stalled < 100) {
                await sleep(50);
                const next = await server.call<RowCounter>('counter');
                stalled = next.count === c.count ? stalled + 1 : 0;
                c = next;
              }
              return c;
            });
            // Rowcast's counter sees a transaction's rows at once (one publish per batch), the floor's row by row:
            // leave the first transaction out of both so neither is credited with rows it had before the clock started.
            rounds.at(-1)!.catchUpRowsPerSec = c2.count === w2.rows ? ((c2.count - size.perTransaction) / (c2.lastAt - c2.firstAt)) * 1000 : NaN;
            console.log(
              `change-stream ${consumer} round ${round + 1} catch-up: ${c2.count}/${w2.rows} rows, ${fmt(rounds.at(-1)!.catchUpRowsPerSec ?? NaN)} rows/s`,
            );
          } finally {
            await writer.stop();
            await server.stop();
          }
        }
      }
    } finally {
      await pgc.stop();
    }
    const of = (c: Consumer) => rounds.filter((r) => r.consumer === c);
    const rcRate = median(of('rowcast').map((r) => r.rowsPerSec));
    const floorRate = median(of('floor').map((r) => r.rowsPerSec));
    const rcCatchUp = median(of('rowcast').map((r) => r.catchUpRowsPerSec ?? NaN));
    const floorCatchUp = median(of('floor').map((r) => r.catchUpRowsPerSec ?? NaN));
    return {
      name: 'change-stream',
      title: 'Change-stream throughput: commit to channel publish',
      smoke: ctx.smoke,
      setup: [
        `${size.rows} rows in ${size.rows / size.perTransaction} transactions of ${size.perTransaction} rows (INSERT … SELECT generate_series, back to back, one writer process), table stream_rows (bigserial, text, int, text, timestamptz)`,
        'Rowcast: `startServer` with a `connector` section mapping stream_rows INSERT -> channel `rows`, publishing in-process; a row counts when the engine accepted its message on the channel (an accepted hook; no subscriber)',
        'Floor: pg-logical-replication 2.5.0 + PgoutputPlugin (protoVersion 1) on its own slot, counting decoded inserts and acking each commit',
        `rows/s = rows ÷ (last row out − first transaction sent); ${size.rounds} round(s), order alternated, median shown; each run in a fresh database of a dedicated PostgreSQL 17`,
        'Catch-up: after each run the consumer stops, the same number of rows is written (its slot keeps them), the consumer restarts and drains them; rows/s from its first to its last row out. This is the consumer alone, where the live figure can be bounded by the writer',
      ],
      table: {
        headers: [
          'Consumer',
          'Rows/s (median)',
          'Rounds rows/s',
          'Rows out / written',
          'Writer took ms',
          'Tail after last commit ms',
          'Rowcast ÷ this',
          'Catch-up rows/s (rounds)',
          'Rowcast catch-up ÷ this',
        ],
        rows: (['rowcast', 'floor'] as Consumer[]).map((c) => [
          LABELS[c],
          fmt(median(of(c).map((r) => r.rowsPerSec))),
          of(c)
            .map((r) => fmt(r.rowsPerSec))
            .join(', '),
          of(c)
            .map((r) => `${r.seen}/${r.rows}`)
            .join(', '),
          of(c)
            .map((r) => fmt(r.writeMs))
            .join(', '),
          of(c)
            .map((r) => fmt(r.tailMs))
            .join(', '),
          ratio(rcRate, median(of(c).map((r) => r.rowsPerSec))),
          of(c)
            .map((r) => fmt(r.catchUpRowsPerSec ?? NaN))
            .join(', '),
          ratio(rcCatchUp, median(of(c).map((r) => r.catchUpRowsPerSec ?? NaN))),
        ]),
      },
      goals: [
        { goal: '≥ 20,000 rows/s commit to publish', measured: `${fmt(rcRate)} rows/s`, met: rcRate >= 20_000 },
        { goal: '≥ 0.5x the bare consumer', measured: ratio(rcRate, floorRate), met: rcRate >= 0.5 * floorRate },
        {
          goal: '(context) catch-up, no writer to wait for: ≥ 0.5x the bare consumer',
          measured: `${ratio(rcCatchUp, floorCatchUp)} (${fmt(rcCatchUp)} vs ${fmt(floorCatchUp)} rows/s)`,
          met: rcCatchUp >= 0.5 * floorCatchUp,
        },
      ],
      charts: [],
      raw: { size, rounds },
    };
  },
};
