import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';

/**
 * Applies the `.sql` files of `dir` that were not applied before for `app`, in file-name order, each in its own
 * transaction together with its record in `rowcast_app_migrations`. An advisory lock serialises concurrent
 * starts (several nodes on one database), so a file is never applied twice. Returns the names applied now.
 */
export async function applyMigrations(pool: pg.Pool, app: string, dir: string): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    // Locked before the CREATE TABLE too: two concurrent CREATE TABLE IF NOT EXISTS can still collide.
    await client.query(`SELECT pg_advisory_lock(hashtext('rowcast_app_migrations'))`);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS rowcast_app_migrations (
        app text NOT NULL, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (app, name))`);
      const done = await client.query<{ name: string }>(`SELECT name FROM rowcast_app_migrations WHERE app = $1`, [app]);
      const seen = new Set(done.rows.map((r) => r.name));
      for (const file of files) {
        if (seen.has(file)) continue;
        const sql = await readFile(join(dir, file), 'utf8');
        await client.query('BEGIN');
        try {
          await client.query(sql);
          await client.query(`INSERT INTO rowcast_app_migrations (app, name) VALUES ($1, $2)`, [app, file]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw new Error(`migration ${file} of app ${app} failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(file);
      }
    } finally {
      await client.query(`SELECT pg_advisory_unlock(hashtext('rowcast_app_migrations'))`);
    }
  } finally {
    client.release();
  }
  return applied;
}
