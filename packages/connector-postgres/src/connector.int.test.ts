import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { parseConnectorConfig } from './config.js';
import { PostgresConnector } from './connector.js';
import { ConnectorSetupError } from './setup.js';
import { HIGH_WATER_ROWS } from './delivery.js';
import { SLICE_CHANGES } from './assembler.js';
import { RecordingPublisher, waitUntil } from './testing/recording-publisher.js';

/**
 * The change stream against real PostgreSQL, with a recording publisher in place of the realtime server:
 * decoding (row_to_json equality for many types), ids, several channels, TOAST, oversized rows, start-up errors,
 * and slot advance while idle. The SDK-level behaviour is covered in test/e2e/connector-*.test.ts.
 */

const logger = pino({ level: 'silent' });
let db: TestDatabase;
let sql: pg.Client;
const running: PostgresConnector[] = [];

beforeAll(async () => {
  db = await createTestDatabase('conn');
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`
    CREATE TYPE mood AS ENUM ('sad', 'happy');
    CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
    CREATE TYPE pair AS (a int, b text);
    CREATE TABLE kinds (
      id bigserial PRIMARY KEY,
      i2 smallint, i4 int, i8 bigint, n numeric, f4 real, f8 double precision, b boolean,
      t text, vc varchar(20), ch char(3), u uuid, by bytea, j json, jb jsonb,
      d date, ts timestamp, tstz timestamptz, tm time, tmtz timetz, iv interval,
      ia int[], ta text[], m2 int[][], tsa timestamptz[], jba jsonb[], e mood, dom posint, comp pair,
      money_col money, inet_col inet, pt point, bx box[]);
    CREATE TABLE docs (id int PRIMARY KEY, title text, body text);
    CREATE TABLE other (id int PRIMARY KEY, v text);`);
});

afterAll(async () => {
  for (const c of running) await c.stop();
  await sql?.end();
  await db?.drop();
});

function configFor(connector: Array<Record<string, string>>, extra: Record<string, unknown> = {}) {
  return parseConnectorConfig({
    databaseUrl: db.url,
    connector,
    slotName: `s_${Math.random().toString(36).slice(2, 10)}`,
    publicationName: `p_${Math.random().toString(36).slice(2, 10)}`,
    ...extra,
  });
}

async function startConnector(connector: Array<Record<string, string>>, publisher: RecordingPublisher, extra = {}, log = logger) {
  const c = new PostgresConnector(configFor(connector, extra), publisher, log);
  await c.start();
  running.push(c);
  await waitUntil(() => c.state().streaming, 20_000, 'streaming');
  return c;
}

async function rowJson(table: string, id: number): Promise<unknown> {
  const r = await sql.query(`SELECT row_to_json(x) AS j FROM ${table} x WHERE id = $1`, [id]);
  return r.rows[0].j;
}

describe('PostgreSQL change stream (recording publisher)', () => {
  it('publishes INSERT/UPDATE/DELETE with rows deep-equal to row_to_json, on every mapped channel', async () => {
    const pub = new RecordingPublisher();
    await startConnector(
      [
        { tablename: 'kinds', ablychannelname: 'kinds', operation: 'insert' },
        { tablename: 'public.kinds', ablychannelname: 'kinds', operation: 'Update' },
        { tablename: 'kinds', ablychannelname: 'kinds-updates', operation: 'UPDATE' },
        { tablename: 'kinds', ablychannelname: 'kinds', operation: 'DELETE' },
      ],
      pub,
    );
    const expected: Array<{ type: string; row: unknown }> = [];
    const insert = async (values: string) => {
      const r = await sql.query(`INSERT INTO kinds ${values} RETURNING id`);
      expected.push({ type: 'INSERT', row: await rowJson('kinds', Number(r.rows[0].id)) });
      return Number(r.rows[0].id);
    };
    const empty = await insert('DEFAULT VALUES');
    const full = await insert(`(i2, i4, i8, n, f4, f8, b, t, vc, ch, u, by, j, jb, d, ts, tstz, tm, tmtz, iv,
        ia, ta, m2, tsa, jba, e, dom, comp, money_col, inet_col, pt, bx) VALUES
       (-3, 2147483647, 9007199254740993, 123.4500, 1.5, 0.1, true, E'he said "hi"\\n\\ttab \\\\ ünï 😀', 'vc', 'ab',
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff', '{"a": [1, 2],  "s":"x"}', '{"b": {"c": null}, "a": 1}',
        '2024-02-29', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05+05:30', '12:34:56', '12:34:56+02',
        '1 day 02:03:04', '{1,2,NULL}', ARRAY['a b', 'NULL', NULL, 'q"x', '', 'back\\slash'], '{{1,2},{3,4}}',
        ARRAY['2024-01-01 00:00:00+00']::timestamptz[], ARRAY['{"x": 1}'::jsonb, NULL], 'happy', 5,
        ROW(1, 'x "y", (z)'), 12.34, '10.0.0.1/8', '(1,2)', '{(1,1),(0,0);(2,2),(1,1)}')`);
    const special = await insert(`(i8, n, f4, f8, d, ts, tstz, ia, ta, comp) VALUES
       (-9223372036854775808, 'NaN', 'Infinity', '-Infinity', 'infinity', '-infinity',
        '0044-03-15 12:00:00+00 BC', '[0:1]={7,8}', '{}', ROW(NULL, NULL))`);
    await sql.query(`UPDATE kinds SET t = 'changed', jb = '[1, "two", {"three": 3}]' WHERE id = $1`, [full]);
    expected.push({ type: 'UPDATE', row: await rowJson('kinds', full) });
    const deletedRow = await rowJson('kinds', special);
    await sql.query('DELETE FROM kinds WHERE id = $1', [special]);
    expected.push({ type: 'DELETE', row: deletedRow });
    await sql.query('UPDATE kinds SET b = false WHERE id = $1', [empty]);
    expected.push({ type: 'UPDATE', row: await rowJson('kinds', empty) });

    await waitUntil(() => pub.changes('kinds').length >= expected.length, 20_000, 'all changes');
    const got = pub.changes('kinds');
    expect(got.map((c) => c.type)).toEqual(expected.map((e) => e.type));
    for (let i = 0; i < expected.length; i++) {
      expect(got[i].table).toBe('kinds');
      expect(got[i].row).toEqual(expected[i].row);
    }
    // the original's exact text form (json_build_object spacing) and message name
    const first = pub.published.find((p) => p.channel === 'kinds')!.message;
    expect(String(first.data).startsWith('{"table" : "kinds", "type" : "INSERT", "row" : {"id":')).toBe(true);
    expect(first.name).toBe('New message from the Ably/ Postgres connector');
    // several channels for one table+operation both get the UPDATEs, with distinct ids
    const updates = pub.changes('kinds-updates');
    expect(updates.map((u) => u.row)).toEqual(expected.filter((e) => e.type === 'UPDATE').map((e) => e.row));
    const ids = pub.published.map((p) => p.message.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^[^:]+:\d+$/.test(String(id)))).toBe(true);
  });

  it('delivers a 20 KB row and an unchanged TOASTed column across an UPDATE of another column', async () => {
    const pub = new RecordingPublisher();
    await startConnector(
      [
        { tablename: 'docs', ablychannelname: 'docs', operation: 'INSERT' },
        { tablename: 'docs', ablychannelname: 'docs', operation: 'UPDATE' },
      ],
      pub,
    );
    const { rows } = await sql.query(`SELECT relreplident FROM pg_class WHERE relname = 'docs'`);
    expect(rows[0].relreplident).toBe('f');
    // random hex barely compresses, so 32 KB is stored out of line (TOASTed)
    await sql.query(`INSERT INTO docs VALUES (1, 'twenty', repeat('x', 20000)),
                     (2, 'big', (SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 1000)))`);
    const bigBody = (await sql.query('SELECT body FROM docs WHERE id = 2')).rows[0].body as string;
    expect(bigBody.length).toBe(32000);
    const toastTable = (await sql.query(`SELECT reltoastrelid::regclass::text AS t FROM pg_class WHERE relname = 'docs'`)).rows[0].t;
    const toastRows = await sql.query(`SELECT count(*)::int AS n FROM ${toastTable}`);
    expect(toastRows.rows[0].n).toBeGreaterThan(0);
    await sql.query(`UPDATE docs SET title = 'renamed' WHERE id = 2`);
    await waitUntil(() => pub.changes('docs').length >= 3, 20_000, 'docs changes');
    const [twenty, big, updated] = pub.changes('docs');
    expect(twenty.row).toEqual({ id: 1, title: 'twenty', body: 'x'.repeat(20000) });
    expect(big.row).toEqual({ id: 2, title: 'big', body: bigBody });
    expect(updated).toEqual({ table: 'docs', type: 'UPDATE', row: { id: 2, title: 'renamed', body: bigBody } });
  });

  it('logs (table and key), counts and skips a row over the message size limit; the stream goes on; reports its state', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const capture = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const pub = new RecordingPublisher(30_000);
    const c = await startConnector(
      [{ tablename: 'other', ablychannelname: 'other', operation: 'INSERT' }],
      pub,
      { statsIntervalSeconds: 0.2 },
      capture,
    );
    await sql.query(`INSERT INTO other VALUES (1, 'small'), (2, repeat('y', 40000)), (3, 'after')`);
    await sql.query(`INSERT INTO other VALUES (4, 'next transaction')`);
    await waitUntil(() => pub.changes('other').length >= 3, 20_000, 'other changes');
    expect(pub.changes('other').map((ch) => ch.row.id)).toEqual([1, 3, 4]);
    expect(c.state().oversizedRows).toBe(1);
    const oversized = lines.find((l) => String(l.msg).includes('over the 30000-byte message limit'));
    expect(oversized).toMatchObject({ level: 40, table: 'other', key: { id: '2' }, operation: 'INSERT', channel: 'other' });
    await waitUntil(() => lines.some((l) => l.msg === 'connector state' && (l.publishedRows as number) >= 3), 20_000, 'a state line');
    const state = lines.filter((l) => l.msg === 'connector state').at(-1)!;
    expect(state).toMatchObject({ oversizedRows: 1, streaming: true });
    expect(typeof state.slotLagBytes).toBe('number');
    expect(typeof state.rowsPerSecond).toBe('number');
    expect(String(state.confirmedLsn)).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
  });

  it('streams a transaction bigger than a slice (12,000 rows) in order, confirming only after its last row', async () => {
    await sql.query('CREATE TABLE bulk (id int PRIMARY KEY, v text)');
    const pub = new RecordingPublisher();
    const c = await startConnector([{ tablename: 'bulk', ablychannelname: 'bulk', operation: 'INSERT' }], pub);
    await sql.query(`INSERT INTO bulk SELECT g, 'v' || g FROM generate_series(1, 12000) g`);
    await waitUntil(() => pub.changes('bulk').length >= 12_000, 30_000, 'bulk rows');
    const rows = pub.changes('bulk').map((ch) => ch.row);
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 12_000 }, (_, i) => i + 1));
    expect(rows[11_999]).toEqual({ id: 12000, v: 'v12000' });
    const ids = pub.published.map((p) => p.message.id);
    expect(new Set(ids).size).toBe(12_000);
    const commitEnd = (await sql.query(`SELECT pg_current_wal_lsn()::text AS l`)).rows[0].l as string;
    await waitUntil(
      async () => (await sql.query('SELECT $1::pg_lsn >= $2::pg_lsn AS ok', [c.state().confirmedLsn, commitEnd])).rows[0].ok,
      20_000,
      'the transaction to be confirmed',
    );
  });

  it('pauses reading while the server is slow, so memory stays bounded, then delivers everything in order', async () => {
    await sql.query('CREATE TABLE flood (id int PRIMARY KEY)');
    const pub = new RecordingPublisher();
    pub.hold();
    const c = await startConnector([{ tablename: 'flood', ablychannelname: 'flood', operation: 'INSERT' }], pub);
    for (let from = 1; from <= 100_000; from += 1000) {
      await sql.query(`INSERT INTO flood SELECT generate_series($1::int, $2::int)`, [from, from + 999]);
    }
    await waitUntil(() => c.state().paused, 60_000, 'the stream to pause');
    // let the socket drain what it already had; the queue must stay near the high-water mark, far below 100,000
    await new Promise((r) => setTimeout(r, 500));
    expect(c.state().queuedRows).toBeLessThan(HIGH_WATER_ROWS + SLICE_CHANGES + 5_000);
    expect(pub.published.length).toBe(0);
    pub.release();
    await waitUntil(() => pub.published.length >= 100_000, 120_000, 'all rows');
    expect(pub.changes('flood').map((ch) => ch.row.id)).toEqual(Array.from({ length: 100_000 }, (_, i) => i + 1));
    expect(c.state().paused).toBe(false);
  }, 180_000);

  it('follows a schema change while streaming: a new column of a type created after the start', async () => {
    await sql.query('CREATE TABLE evolving (id int PRIMARY KEY, a text)');
    const pub = new RecordingPublisher();
    await startConnector([{ tablename: 'evolving', ablychannelname: 'evolving', operation: 'INSERT' }], pub);
    await sql.query(`INSERT INTO evolving VALUES (1, 'before')`);
    await sql.query(`CREATE TYPE colour AS ENUM ('red', 'green'); CREATE DOMAIN percent AS numeric CHECK (VALUE BETWEEN 0 AND 100);
                     ALTER TABLE evolving ADD COLUMN c colour[], ADD COLUMN p percent, ADD COLUMN n jsonb DEFAULT '{"x": [1]}'`);
    await sql.query(`INSERT INTO evolving VALUES (2, 'after', '{red,green}', 12.50)`);
    await waitUntil(() => pub.changes('evolving').length >= 2, 20_000, 'evolving rows');
    const [before, after] = pub.changes('evolving');
    expect(before.row).toEqual({ id: 1, a: 'before' });
    expect(after.row).toEqual(await rowJson('evolving', 2));
    expect(after.row).toEqual({ id: 2, a: 'after', c: ['red', 'green'], p: 12.5, n: { x: [1] } });
  });

  it('refuses to start with an unknown table, naming it', async () => {
    const c = new PostgresConnector(
      configFor([{ tablename: 'no_such_table', ablychannelname: 'x', operation: 'INSERT' }]),
      new RecordingPublisher(),
      logger,
    );
    await expect(c.start()).rejects.toThrow(ConnectorSetupError);
    await expect(
      new PostgresConnector(
        configFor([{ tablename: 'no_such_table', ablychannelname: 'x', operation: 'INSERT' }]),
        new RecordingPublisher(),
        logger,
      ).start(),
    ).rejects.toThrow(/unknown table "no_such_table" \(connector\[0\]\.tablename\)/);
  });

  it('confirms nothing while the server refuses publishes, then catches up in order', async () => {
    const pub = new RecordingPublisher();
    pub.failWith = new Error('realtime server unreachable');
    const c = await startConnector([{ tablename: 'other', ablychannelname: 'retry', operation: 'UPDATE' }], pub);
    const lsnNow = async () => (await sql.query('SELECT pg_current_wal_lsn()::text AS l')).rows[0].l as string;
    const confirmedBefore = async (lsn: string) =>
      (await sql.query('SELECT $1::pg_lsn < $2::pg_lsn AS before', [c.state().confirmedLsn, lsn])).rows[0].before as boolean;
    await sql.query(`UPDATE other SET v = 'u1' WHERE id = 1`);
    const afterFirst = await lsnNow();
    await sql.query(`UPDATE other SET v = 'u2' WHERE id = 1`);
    const afterSecond = await lsnNow();
    await waitUntil(() => pub.calls >= 3, 20_000, 'publish retries');
    // keepalives may move the position up to the first change, never past it
    expect(await confirmedBefore(afterFirst)).toBe(true);
    expect(pub.published.length).toBe(0);
    pub.failWith = undefined;
    await waitUntil(() => pub.changes('retry').length >= 2, 20_000, 'catch-up');
    expect(pub.changes('retry').map((ch) => ch.row.v)).toEqual(['u1', 'u2']);
    await waitUntil(async () => !(await confirmedBefore(afterSecond)), 20_000, 'confirmation after catch-up');
  });

  it('lets the slot advance while the captured tables are idle', async () => {
    const pub = new RecordingPublisher();
    const c = await startConnector([{ tablename: 'docs', ablychannelname: 'idle', operation: 'DELETE' }], pub);
    const slot = (c as unknown as { config: { slotName: string } }).config.slotName;
    const confirmedOf = async () =>
      (await sql.query(`SELECT confirmed_flush_lsn::text AS l FROM pg_replication_slots WHERE slot_name = $1`, [slot])).rows[0].l as string;
    const start = await confirmedOf();
    await sql.query(`INSERT INTO other SELECT g, 'filler' FROM generate_series(100, 2100) g`);
    const walNow = (await sql.query('SELECT pg_current_wal_lsn()::text AS l')).rows[0].l as string;
    await waitUntil(
      async () => (await sql.query(`SELECT $1::pg_lsn >= $2::pg_lsn AS ok`, [await confirmedOf(), walNow])).rows[0].ok,
      30_000,
      'slot to pass the idle writes',
    );
    expect(await confirmedOf()).not.toBe(start);
    expect(pub.published.length).toBe(0);
  });
});
