import type pg from 'pg';

/**
 * Runs `schema` (CREATE ... IF NOT EXISTS statements) under the session advisory lock `lock`: several nodes
 * starting at once would otherwise race on the same catalog rows and one of them fail.
 */
export async function createUnderLock(client: pg.ClientBase, lock: number, schema: string): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1)', [lock]);
  try {
    await client.query(schema);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [lock]);
  }
}
