import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Ably from 'ably';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startRowcast, type TestRowcast } from '../support/rowcast.ts';

/**
 * Issue 4, "Done when" 1: 10,000 INSERT/UPDATE/DELETE changes over many transactions on two tables reach an `ably`
 * SDK subscriber, all of them, in commit order, each `row` deep-equal to row_to_json of the row as committed.
 * The connector runs inside `rowcast start` (config section `connector`), publishing in-process.
 */

const CHANGES = 10_000;
let db: TestDatabase;
let sql: pg.Client;
let server: TestRowcast;
let client: Ably.Realtime;

beforeAll(async () => {
  db = await createTestDatabase('cstream');
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`
    CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, amount numeric(12,2), tags text[],
                         meta jsonb, placed_at timestamptz DEFAULT now());
    CREATE TABLE events (id bigserial PRIMARY KEY, kind text, payload json, at timestamp DEFAULT localtimestamp,
                         flag boolean, score double precision);`);
  server = await startRowcast({
    database: { url: db.url },
    connector: {
      connector: ['INSERT', 'UPDATE', 'DELETE'].flatMap((operation) => [
        { tablename: 'orders', ablychannelname: 'orders', operation },
        { tablename: 'public.events', ablychannelname: 'events', operation: operation.toLowerCase() },
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

describe('change stream to SDK subscribers', () => {
  it(`delivers ${CHANGES} INSERT/UPDATE/DELETE changes on two tables, in commit order, rows equal to row_to_json`, async () => {
    const received: Record<string, Ably.Message[]> = { orders: [], events: [] };
    for (const name of ['orders', 'events']) {
      await client.channels.get(name).subscribe((m) => received[name].push(m));
    }
    const expected: Record<string, Array<{ type: string; row: unknown }>> = { orders: [], events: [] };
    const live: Record<string, number[]> = { orders: [], events: [] };
    const random = prng(42);
    let done = 0;
    let tx = 0;
    while (done < CHANGES) {
      const rollback = ++tx % 40 === 0; // rolled-back work must never appear
      const pending: Array<{ table: string; type: string; row: unknown }> = [];
      await sql.query('BEGIN');
      const size = 1 + Math.floor(random() * 30);
      for (let i = 0; i < size && done + pending.length < CHANGES; i++) {
        const table = random() < 0.5 ? 'orders' : 'events';
        const ids = live[table];
        const r = random();
        let res: pg.QueryResult;
        let type: string;
        if (ids.length < 5 || r < 0.5) {
          type = 'INSERT';
          res =
            table === 'orders'
              ? await sql.query(
                  `INSERT INTO orders AS t (customer, amount, tags, meta) VALUES ($1, $2, $3, $4) RETURNING t.id, row_to_json(t) AS j`,
                  [`c${tx}-${i} "q"`, (random() * 1000).toFixed(2), ['a', `t${i}`], { tx, i, nested: { ok: true } }],
                )
              : await sql.query(
                  `INSERT INTO events AS t (kind, payload, flag, score) VALUES ($1, $2, $3, $4) RETURNING t.id, row_to_json(t) AS j`,
                  [`k${i}`, JSON.stringify({ tx, list: [1, 2, 3] }), random() < 0.5, random() * 1e6],
                );
          ids.push(Number(res.rows[0].id));
        } else if (r < 0.85) {
          type = 'UPDATE';
          const id = ids[Math.floor(random() * ids.length)];
          res =
            table === 'orders'
              ? await sql.query(`UPDATE orders t SET amount = amount + 1, tags = tags || $2 WHERE id = $1 RETURNING t.id, row_to_json(t) AS j`, [id, [`u${tx}`]])
              : await sql.query(`UPDATE events t SET flag = NOT flag, score = score / 3 WHERE id = $1 RETURNING t.id, row_to_json(t) AS j`, [id]);
        } else {
          type = 'DELETE';
          const at = Math.floor(random() * ids.length);
          const id = ids[at];
          ids.splice(at, 1);
          res = await sql.query(`DELETE FROM ${table} t WHERE id = $1 RETURNING t.id, row_to_json(t) AS j`, [id]);
        }
        pending.push({ table, type, row: res.rows[0].j });
      }
      if (rollback) {
        await sql.query('ROLLBACK');
        // forget ids inserted or deleted in the rolled-back transaction by re-reading what exists
        for (const table of ['orders', 'events']) {
          live[table] = (await sql.query(`SELECT id FROM ${table} ORDER BY id`)).rows.map((x) => Number(x.id));
        }
        continue;
      }
      await sql.query('COMMIT');
      for (const p of pending) expected[p.table].push({ type: p.type, row: p.row });
      done += pending.length;
    }
    expect(expected.orders.length + expected.events.length).toBe(CHANGES);

    for (const name of ['orders', 'events']) {
      await expect
        .poll(() => received[name].length, { timeout: 60_000, interval: 100 })
        .toBeGreaterThanOrEqual(expected[name].length);
    }
    for (const name of ['orders', 'events']) {
      const got = received[name].map((m) => {
        expect(m.name).toBe('New message from the Ably/ Postgres connector');
        expect(typeof m.data).toBe('string');
        return JSON.parse(m.data as string) as { table: string; type: string; row: unknown };
      });
      expect(got.length).toBe(expected[name].length);
      expect(got.map((g) => g.table).every((t) => t === name)).toBe(true);
      expect(got.map(({ type, row }) => ({ type, row }))).toEqual(expected[name]);
      const ids = received[name].map((m) => m.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });
});
