import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Ably from 'ably';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startRowcast, type TestRowcast } from '../support/rowcast.ts';

/**
 * Issue 4, "Done when" 1: 10,000 INSERT/UPDATE/DELETE changes over many transactions on two tables reach an `ably`
 * SDK subscriber, all of them, in commit order, each `row` deep-equal to row_to_json of the row as committed
 * (per table channel, and on one channel both tables map to, in commit order across the tables).
 * The connector runs inside `rowcast start` (config section `connector`), publishing in-process.
 */

const CHANGES = Number(process.env.CHANGES ?? 10_000);
let db: TestDatabase;
let sql: pg.Client;
let server: TestRowcast;
let client: Ably.Realtime;

beforeAll(async () => {
  db = await createTestDatabase('cstream');
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`
    CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, amount numeric(12,2), tags text[],
                         meta jsonb, placed_at timestamptz DEFAULT now());
    CREATE TABLE events (id bigint PRIMARY KEY, kind text, payload json, at timestamp DEFAULT localtimestamp,
                         flag boolean, score double precision);`);
  server = await startRowcast({
    database: { url: db.url },
    connector: {
      connector: ['INSERT', 'UPDATE', 'DELETE'].flatMap((operation) => [
        { tablename: 'orders', ablychannelname: 'orders', operation },
        { tablename: 'public.events', ablychannelname: 'events', operation: operation.toLowerCase() },
        // both tables onto one more channel: commit order across tables
        { tablename: 'orders', ablychannelname: 'all-changes', operation },
        { tablename: 'events', ablychannelname: 'all-changes', operation },
      ]),
      slotName: `${db.name}_slot`,
      publicationName: `${db.name}_pub`,
    },
  });
  client = new Ably.Realtime({ key: server.keys.full, endpoint: '127.0.0.1', port: server.port, tls: false });
});

afterAll(async () => {
  client?.close();
  await server?.close();
  await sql?.end();
  await db?.drop();
});

/** A small deterministic PRNG so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

/** Where a stall is: what the subscriber got, what the server's history holds, how far the slot confirmed. */
async function diagnose(received: Record<string, Ably.Message[]>): Promise<string> {
  const rest = new Ably.Rest({ key: server.keys.full, endpoint: '127.0.0.1', port: server.port, tls: false });
  const history: Record<string, number> = {};
  for (const name of ['orders', 'events']) history[name] = (await rest.channels.get(name).history({ limit: 1000 })).items.length;
  const slot = await sql.query(
    `SELECT confirmed_flush_lsn::text AS c, active, pg_current_wal_lsn()::text AS now FROM pg_replication_slots WHERE slot_name = $1`,
    [`${db.name}_slot`],
  );
  return JSON.stringify({
    received: Object.fromEntries(Object.entries(received).map(([k, v]) => [k, v.length])),
    historyUpTo1000: history,
    slot: slot.rows[0],
    connection: client.connection.state,
    channels: ['orders', 'events'].map((n) => client.channels.get(n).state),
  });
}

describe('change stream to SDK subscribers', () => {
  it(`delivers ${CHANGES} INSERT/UPDATE/DELETE changes on two tables, in commit order, rows equal to row_to_json`, async () => {
    const CHANNELS = ['orders', 'events', 'all-changes'];
    const received: Record<string, Ably.Message[]> = { orders: [], events: [], 'all-changes': [] };
    for (const name of CHANNELS) {
      await client.channels.get(name).subscribe((m) => received[name].push(m));
    }
    const expected: Record<string, Array<{ type: string; row: unknown; table?: string }>> = { orders: [], events: [], 'all-changes': [] };
    const live: Record<string, number[]> = { orders: [], events: [] };
    const nextId: Record<string, number> = { orders: 1, events: 1 };
    const random = prng(42);
    const lit = (v: unknown) => sql.escapeLiteral(typeof v === 'string' ? v : JSON.stringify(v));
    let done = 0;
    let tx = 0;
    while (done < CHANGES) {
      const rollback = ++tx % 40 === 0; // rolled-back work must never appear
      // one round trip per transaction: its statements in one simple query, each returning row_to_json of its row
      const statements: Array<{ table: string; type: string; sql: string }> = [];
      const ids = { orders: [...live.orders], events: [...live.events] };
      const size = 1 + Math.floor(random() * 30);
      for (let i = 0; i < size && done + statements.length < CHANGES; i++) {
        const table = random() < 0.5 ? 'orders' : 'events';
        const r = random();
        const returning = 'RETURNING row_to_json(t) AS j';
        if (ids[table].length < 5 || r < 0.5) {
          const id = nextId[table]++;
          ids[table].push(id);
          statements.push({
            table,
            type: 'INSERT',
            sql:
              table === 'orders'
                ? `INSERT INTO orders AS t (id, customer, amount, tags, meta) VALUES (${id}, ${lit(`c${tx}-${i} "q" \\ ü`)}, ${(random() * 1000).toFixed(2)}, ARRAY['a', ${lit(`t${i}`)}], ${lit({ tx, i, nested: { ok: true } })}) ${returning}`
                : `INSERT INTO events AS t (id, kind, payload, flag, score) VALUES (${id}, ${lit(`k${i}`)}, ${lit({ tx, list: [1, 2, 3] })}, ${random() < 0.5}, ${random() * 1e6}) ${returning}`,
          });
        } else if (r < 0.85) {
          const id = ids[table][Math.floor(random() * ids[table].length)];
          statements.push({
            table,
            type: 'UPDATE',
            sql:
              table === 'orders'
                ? `UPDATE orders t SET amount = amount + 1, tags = tags || ARRAY[${lit(`u${tx}`)}] WHERE id = ${id} ${returning}`
                : `UPDATE events t SET flag = NOT flag, score = score / 3 WHERE id = ${id} ${returning}`,
          });
        } else {
          const at = Math.floor(random() * ids[table].length);
          const id = ids[table][at];
          ids[table].splice(at, 1);
          statements.push({ table, type: 'DELETE', sql: `DELETE FROM ${table} t WHERE id = ${id} ${returning}` });
        }
      }
      const results = (await sql.query(
        `BEGIN; ${statements.map((st) => st.sql).join('; ')}; ${rollback ? 'ROLLBACK' : 'COMMIT'}`,
      )) as unknown as pg.QueryResult[];
      if (rollback) continue;
      statements.forEach((st, k) => {
        expected[st.table].push({ type: st.type, row: results[k + 1].rows[0].j });
        expected['all-changes'].push({ table: st.table, type: st.type, row: results[k + 1].rows[0].j });
      });
      live.orders = ids.orders;
      live.events = ids.events;
      done += statements.length;
    }
    expect(expected.orders.length + expected.events.length).toBe(CHANGES);

    for (const name of CHANNELS) {
      try {
        await expect.poll(() => received[name].length, { timeout: 120_000, interval: 100 }).toBeGreaterThanOrEqual(expected[name].length);
      } catch (err) {
        throw new Error(`${name}: ${await diagnose(received)}\n${(err as Error).message}`);
      }
    }
    for (const name of CHANNELS) {
      const got = received[name].map((m) => {
        expect(m.name).toBe('New message from the Ably/ Postgres connector');
        expect(typeof m.data).toBe('string');
        return JSON.parse(m.data as string) as { table: string; type: string; row: unknown };
      });
      expect(got.length).toBe(expected[name].length);
      if (name === 'all-changes') {
        expect(got).toEqual(expected[name]);
      } else {
        expect(got.map((g) => g.table).every((t) => t === name)).toBe(true);
        expect(got.map(({ type, row }) => ({ type, row }))).toEqual(expected[name]);
      }
      const ids = received[name].map((m) => m.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  }, 240_000);
});
