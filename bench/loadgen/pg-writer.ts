import pg from 'pg';
import { serveParent } from '../lib/proc.js';
import { nowMs } from '../lib/clock.js';

interface Args {
  databaseUrl: string;
  table: string;
}

export interface WriteResult {
  rows: number;
  transactions: number;
  /** Wall-clock ms when the first transaction was sent and when the last one committed. */
  startedAt: number;
  lastCommitAt: number;
}

/**
 * Load generator for the change-stream benchmark: writes `rows` rows in transactions of `perTransaction`
 * rows, back to back, each one INSERT ... SELECT over generate_series (one statement = one transaction), so
 * the database produces WAL as fast as it can and the consumer is what is measured.
 */
await serveParent<Args, { ok: true }>(async (args) => {
  const client = new pg.Client({ connectionString: args.databaseUrl });
  await client.connect();
  return {
    ready: { ok: true },
    handlers: {
      async write(a: { rows: number; perTransaction: number }): Promise<WriteResult> {
        const transactions = Math.ceil(a.rows / a.perTransaction);
        const startedAt = nowMs();
        let written = 0;
        for (let t = 0; t < transactions; t++) {
          const n = Math.min(a.perTransaction, a.rows - written);
          await client.query(
            `INSERT INTO ${args.table} (payload, n, label) SELECT md5(i::text), i, 'row ' || i FROM generate_series($1::int, $2::int) AS i`,
            [written + 1, written + n],
          );
          written += n;
        }
        return { rows: written, transactions, startedAt, lastCommitAt: nowMs() };
      },
      stop: () => client.end(),
    },
  };
});
