import pg from 'pg';
import type { MinuteStats, StatsStore } from '@rowcast/core';

/** Node name under which summed entries are kept (levels are kept per node). */
const SUMS = '';

/**
 * Per-minute stats in PostgreSQL, table `rowcast_stats` (minute, entry name, node, value): every node adds the
 * traffic it handled to the shared row (node ''), and keeps its own levels (peaks) in its own row; a read adds
 * the rows of a minute up. Durable across restarts, shared by every node on the database.
 */
export class PostgresStatsStore implements StatsStore {
  private readonly pool: pg.Pool;

  private constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 2 });
    // An idle client losing its server (database restart) must not crash the process.
    this.pool.on('error', () => undefined);
  }

  /** Connects and creates the table if needed. */
  static async open(url: string): Promise<PostgresStatsStore> {
    const store = new PostgresStatsStore(url);
    try {
      await store.pool.query(`CREATE TABLE IF NOT EXISTS rowcast_stats (
        minute bigint NOT NULL,
        name text NOT NULL,
        node text NOT NULL,
        value double precision NOT NULL,
        PRIMARY KEY (minute, name, node))`);
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  async add(minute: number, sums: Record<string, number>, peaks: Record<string, number>, nodeId: string): Promise<void> {
    const upsert = async (node: string, values: Record<string, number>, merge: string) => {
      const names = Object.keys(values);
      if (names.length === 0) return;
      await this.pool.query(
        `INSERT INTO rowcast_stats (minute, name, node, value)
         SELECT $1, n, $2, v FROM unnest($3::text[], $4::float8[]) AS t(n, v)
         ON CONFLICT (minute, name, node) DO UPDATE SET value = ${merge}`,
        [minute, node, names, names.map((n) => values[n])],
      );
    };
    await upsert(SUMS, sums, 'rowcast_stats.value + excluded.value');
    await upsert(nodeId, peaks, 'excluded.value');
  }

  async minutes(from: number, to: number, nearest?: { count: number; direction: 'forwards' | 'backwards' }): Promise<MinuteStats[]> {
    const order = nearest?.direction === 'backwards' ? 'DESC' : 'ASC';
    const { rows } = await this.pool.query<{ minute: string; name: string; value: number }>(
      `SELECT minute, name, sum(value) AS value FROM rowcast_stats
        WHERE minute IN (SELECT DISTINCT minute FROM rowcast_stats WHERE minute >= $1 AND minute < $2
                         ORDER BY minute ${order} LIMIT $3)
        GROUP BY minute, name ORDER BY minute`,
      [from, to, nearest?.count ?? null],
    );
    const out: MinuteStats[] = [];
    for (const row of rows) {
      const minute = Number(row.minute);
      let last = out[out.length - 1];
      if (!last || last.minute !== minute) out.push((last = { minute, entries: {} }));
      last.entries[row.name] = Number(row.value);
    }
    return out;
  }

  /** Deletes the minutes before `before` (ms); returns how many rows went. */
  async prune(before: number): Promise<number> {
    const { rowCount } = await this.pool.query('DELETE FROM rowcast_stats WHERE minute < $1', [before]);
    return rowCount ?? 0;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
