import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Ably from 'ably';
import pg from 'pg';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '@rowcast/server';
import { parseConnectorConfig, PostgresConnector, restPublisher } from '@rowcast/connector-postgres';
import { pino } from 'pino';
import { spawnConnector, type SpawnedConnector } from '../../packages/connector-postgres/src/testing/spawn-connector.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { freePort } from '../support/ports.ts';
import { KEYS } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/**
 * Issue 4, "Done when" 2: `rowcast connector` (a child process publishing through REST to a separate Rowcast) is
 * killed with SIGKILL in the middle of 50,000 inserts and restarted: the SDK subscriber sees every row exactly once.
 * The same with PostgreSQL stopped and started in the middle (its own embedded PostgreSQL).
 */

const TOTAL = 50_000;
const PER_TX = 500;
const { server, realtime } = useRowcast();
let client: Ably.Realtime;
const temp = mkdtempSync(join(tmpdir(), 'rowcast-conn-crash-'));
const children: SpawnedConnector[] = [];

beforeAll(async () => {
  client = realtime({ key: KEYS.full });
});

afterAll(async () => {
  for (const c of children) await c.kill('SIGKILL');
  rmSync(temp, { recursive: true, force: true });
});

/** Subscribes to `channel` and counts each row id it receives (a count of 2 is a duplicate). */
async function subscriber(channel: string) {
  const seen = new Map<number, number>();
  const order: number[] = [];
  await client.channels.get(channel).subscribe((m) => {
    const id = (JSON.parse(m.data as string) as { row: { id: number } }).row.id;
    seen.set(id, (seen.get(id) ?? 0) + 1);
    order.push(id);
  });
  return { seen, order };
}

/** Slots are per cluster and outlive a failed run: name them per run. */
const RUN = Math.random().toString(36).slice(2, 8);

function connectorConfig(databaseUrl: string, channel: string): string {
  const file = join(temp, `${channel}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      databaseUrl,
      connector: [{ tablename: 'items', ablychannelname: channel, operation: 'INSERT' }],
      ably: { apiKey: KEYS.full },
      slotName: `${channel.replace(/-/g, '_')}_${RUN}`,
      publicationName: `${channel.replace(/-/g, '_')}_pub`,
    }),
  );
  return file;
}

async function startConnector(config: string): Promise<SpawnedConnector> {
  const c = await spawnConnector(['--config', config, '--endpoint', server().url]);
  children.push(c);
  return c;
}

/** Inserts rows first..last (ids = n) in transactions of PER_TX rows. */
async function insertRange(sql: pg.Client, first: number, last: number): Promise<void> {
  for (let from = first; from <= last; from += PER_TX) {
    const to = Math.min(last, from + PER_TX - 1);
    await sql.query(`INSERT INTO items (id, payload) SELECT g, md5(g::text) FROM generate_series($1::int, $2::int) g`, [from, to]);
  }
}

/**
 * Waits for TOTAL distinct rows, then inserts a last row: once it arrives, everything re-sent before it has
 * arrived too (one channel, in order). Then every id 1..TOTAL must have come exactly once, in commit order.
 */
async function expectEveryRowOnce(sql: pg.Client, sub: { seen: Map<number, number>; order: number[] }): Promise<void> {
  await expect.poll(() => sub.seen.size, { timeout: 180_000, interval: 100 }).toBe(TOTAL);
  await sql.query(`INSERT INTO items VALUES (${TOTAL + 1}, 'sentinel')`);
  await expect.poll(() => sub.seen.has(TOTAL + 1), { timeout: 30_000 }).toBe(true);
  sub.order.pop();
  sub.seen.delete(TOTAL + 1);
  expectExactlyOnce(sub);
}

/** Every id 1..TOTAL received exactly once, and in insert (commit) order. */
function expectExactlyOnce(sub: { seen: Map<number, number>; order: number[] }): void {
  const missing: number[] = [];
  const duplicated: number[] = [];
  for (let id = 1; id <= TOTAL; id++) {
    const n = sub.seen.get(id) ?? 0;
    if (n === 0) missing.push(id);
    if (n > 1) duplicated.push(id);
  }
  expect({ missing: missing.length, duplicated: duplicated.length, firstMissing: missing.slice(0, 5), firstDup: duplicated.slice(0, 5) }).toEqual({
    missing: 0,
    duplicated: 0,
    firstMissing: [],
    firstDup: [],
  });
  expect(sub.order).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
}

describe('connector crash and PostgreSQL restart', () => {
  let db: TestDatabase;
  afterAll(async () => db?.drop());

  it(`kill -9 of the connector in the middle of ${TOTAL} inserts, then restart: 0 missing, 0 duplicates`, async () => {
    db = await createTestDatabase('ccrash');
    const sql = new pg.Client({ connectionString: db.url });
    sql.on('error', () => {});
    await sql.connect();
    try {
      await sql.query('CREATE TABLE items (id int PRIMARY KEY, payload text)');
      const sub = await subscriber('crash-items');
      const config = connectorConfig(db.url, 'crash-items');
      const first = await startConnector(config);
      const writing = insertRange(sql, 1, TOTAL);
      await expect.poll(() => sub.seen.size, { timeout: 60_000, interval: 5 }).toBeGreaterThanOrEqual(3_000);
      expect(await first.kill('SIGKILL')).toBe('SIGKILL');
      const atKill = sub.seen.size;
      expect(atKill).toBeLessThan(TOTAL);
      const second = await startConnector(config);
      await writing;
      await expectEveryRowOnce(sql, sub);
      await second.kill('SIGTERM');
    } finally {
      await sql.end();
    }
  }, 240_000);

  it('changes streamed again from an older slot position carry the same ids and are dropped by the server', async () => {
    const again = await createTestDatabase('cagain');
    const sql = new pg.Client({ connectionString: again.url });
    await sql.connect();
    const connectors: PostgresConnector[] = [];
    try {
      await sql.query('CREATE TABLE items (id int PRIMARY KEY, payload text)');
      const sub = await subscriber('again-items');
      const start = async (slotName: string) => {
        const config = parseConnectorConfig({
          databaseUrl: again.url,
          connector: [{ tablename: 'items', ablychannelname: 'again-items', operation: 'INSERT' }],
          slotName,
          publicationName: `${again.name}_pub`,
        });
        const c = new PostgresConnector(
          config,
          restPublisher({ endpoint: server().url, apiKey: KEYS.full, maxMessageSize: 65536 }),
          pino({ level: 'silent' }),
        );
        connectors.push(c);
        await c.start();
        await expect.poll(() => c.state().streaming, { timeout: 30_000 }).toBe(true);
        return c;
      };
      const first = await start(`${again.name}_a`);
      // a second slot at the same position: it will stream the very same transactions again
      await sql.query(`SELECT pg_copy_logical_replication_slot($1, $2)`, [`${again.name}_a`, `${again.name}_b`]);
      for (let from = 1; from <= 2000; from += PER_TX) {
        await sql.query(`INSERT INTO items SELECT g, md5(g::text) FROM generate_series($1::int, $2::int) g`, [from, from + PER_TX - 1]);
      }
      const afterInserts = (await sql.query('SELECT pg_current_wal_lsn()::text AS l')).rows[0].l as string;
      await expect.poll(() => sub.seen.size, { timeout: 60_000 }).toBe(2000);
      await first.stop();
      const second = await start(`${again.name}_b`);
      const confirmedPast = async () =>
        (await sql.query('SELECT $1::pg_lsn >= $2::pg_lsn AS ok', [second.state().confirmedLsn, afterInserts])).rows[0].ok;
      await expect.poll(confirmedPast, { timeout: 60_000, interval: 100 }).toBe(true);
      expect(second.state().publishedRows).toBe(2000); // it did publish everything again...
      await sql.query(`INSERT INTO items VALUES (2001, 'sentinel')`);
      await expect.poll(() => sub.seen.has(2001), { timeout: 30_000 }).toBe(true);
      expect([...sub.seen.values()].every((n) => n === 1)).toBe(true); // ...and the subscriber saw each row once
      expect(sub.order).toEqual(Array.from({ length: 2001 }, (_, i) => i + 1));
    } finally {
      for (const c of connectors) await c.stop();
      await sql.end();
      await again.drop();
    }
  });

  it(`PostgreSQL stopped and started in the middle of ${TOTAL} inserts: 0 missing, 0 duplicates`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rowcast-conn-pg-'));
    const port = await freePort();
    let pgServer: EmbeddedPostgresHandle | undefined = await startEmbeddedPostgres({ dataDir, port });
    try {
      const url = pgServer.url;
      let sql = new pg.Client({ connectionString: url });
      sql.on('error', () => {});
      await sql.connect();
      await sql.query('CREATE TABLE items (id int PRIMARY KEY, payload text)');
      const sub = await subscriber('pgrestart-items');
      const connector = await startConnector(connectorConfig(url, 'pgrestart-items'));
      await insertRange(sql, 1, TOTAL / 2);
      await expect.poll(() => sub.seen.size, { timeout: 60_000, interval: 5 }).toBeGreaterThanOrEqual(1_000);
      await sql.end();
      await pgServer.stop();
      pgServer = undefined;
      pgServer = await startEmbeddedPostgres({ dataDir, port });
      sql = new pg.Client({ connectionString: url });
      sql.on('error', () => {});
      await sql.connect();
      await insertRange(sql, TOTAL / 2 + 1, TOTAL);
      await expectEveryRowOnce(sql, sub);
      expect(connector.output()).toMatch(/replication stream interrupted; reconnecting/);
      await connector.kill('SIGTERM');
      await sql.end();
    } finally {
      await pgServer?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
