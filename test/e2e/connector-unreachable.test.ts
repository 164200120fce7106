import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Ably from 'ably';
import pg from 'pg';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnConnector, type SpawnedConnector } from '../../packages/connector-postgres/src/testing/spawn-connector.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { freePort } from '../support/ports.ts';
import { KEYS, startRowcast, type TestRowcast } from '../support/rowcast.ts';

/**
 * Issue 4, "Survives: the realtime server unreachable": `rowcast connector` keeps retrying and confirms nothing
 * while its endpoint is down; once a Rowcast answers there, every change arrives once, in commit order.
 */

const temp = mkdtempSync(join(tmpdir(), 'rowcast-conn-unreach-'));
let db: TestDatabase;
let sql: pg.Client;
let server: TestRowcast | undefined;
let connector: SpawnedConnector | undefined;

beforeAll(async () => {
  db = await createTestDatabase('cunreach');
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query('CREATE TABLE notes (id int PRIMARY KEY, body text)');
});

afterAll(async () => {
  await connector?.kill('SIGTERM');
  await server?.close();
  await sql?.end();
  await db?.drop();
  rmSync(temp, { recursive: true, force: true });
});

async function slotConfirmedBefore(lsn: string, slot: string): Promise<boolean> {
  const r = await sql.query(`SELECT confirmed_flush_lsn < $1::pg_lsn AS before FROM pg_replication_slots WHERE slot_name = $2`, [lsn, slot]);
  return r.rows[0].before;
}

describe('realtime server unreachable', { timeout: 180_000 }, () => {
  it('retries, confirms nothing meanwhile, then delivers every change once and in order', async () => {
    const port = await freePort(); // nothing listens here yet
    const slot = `${db.name}_slot`;
    const file = join(temp, 'notes.json');
    writeFileSync(
      file,
      JSON.stringify({
        databaseUrl: db.url,
        connector: [{ tablename: 'notes', ablychannelname: 'notes', operation: 'INSERT' }],
        ably: { apiKey: KEYS.full, endpoint: `http://127.0.0.1:${port}` },
        slotName: slot,
        publicationName: `${db.name}_pub`,
      }),
    );
    connector = await spawnConnector(['--config', file]);
    let afterFirstTx = '';
    for (let tx = 0; tx < 10; tx++) {
      await sql.query(`INSERT INTO notes SELECT g, 'note ' || g FROM generate_series($1::int, $2::int) g`, [tx * 10 + 1, tx * 10 + 10]);
      if (tx === 0) afterFirstTx = (await sql.query('SELECT pg_current_wal_lsn()::text AS l')).rows[0].l as string;
    }
    const afterInserts = (await sql.query('SELECT pg_current_wal_lsn()::text AS l')).rows[0].l as string;
    await expect.poll(() => connector!.output().split('publish failed; retrying').length - 1, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    // not even the first transaction is confirmed: none of it was accepted anywhere
    expect(await slotConfirmedBefore(afterFirstTx, slot)).toBe(true);

    server = await startRowcast({ port });
    await expect.poll(async () => !(await slotConfirmedBefore(afterInserts, slot)), { timeout: 30_000, interval: 200 }).toBe(true);
    const rest = new Ably.Rest({ key: KEYS.full, endpoint: '127.0.0.1', port, tls: false });
    let page = await rest.channels.get('notes').history({ direction: 'forwards', limit: 1000 });
    const ids: number[] = [];
    for (;;) {
      for (const m of page.items) ids.push((JSON.parse(m.data as string) as { row: { id: number } }).row.id);
      if (!page.hasNext()) break;
      page = (await page.next())!;
    }
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});
