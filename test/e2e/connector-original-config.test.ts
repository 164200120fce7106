import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Ably from 'ably';
import pg from 'pg';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnConnector, type SpawnedConnector } from '../../packages/connector-postgres/src/testing/spawn-connector.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { KEYS, startRowcast } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/**
 * Issue 4, "Done when" 3-5 through the real `rowcast connector` command, publishing with a key through the REST
 * API of a separate Rowcast instance to `ably` SDK subscribers:
 * - the original connector's JSON file (chat.json) and .env file (example.env), given verbatim except for the
 *   database address and the key;
 * - a 20 KB row (over pg_notify's 8,000-byte limit) and a TOASTed column across an UPDATE of another column
 *   arrive whole.
 */

const FIXTURES = resolve(import.meta.dirname, '../../packages/connector-postgres/fixtures/original-connector');
const temp = mkdtempSync(join(tmpdir(), 'rowcast-conn-orig-'));
let db: TestDatabase;
let sql: pg.Client;
const { server, realtime } = useRowcast();
let client: Ably.Realtime;
const children: SpawnedConnector[] = [];

beforeAll(async () => {
  db = await createTestDatabase('corig');
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  // the editable chat's table (shared/docs/original-system.md) and the users table of the original's example
  await sql.query(`
    CREATE TABLE chat_data (username text, msg_id text PRIMARY KEY, msg_data text, client_id text,
      incremental_record_id bigserial NOT NULL, created_at_timestamp bigint, is_edited boolean);
    CREATE TABLE users (id serial PRIMARY KEY, name text, email text, created timestamptz DEFAULT now());`);
  client = realtime({ key: KEYS.full });
});

afterAll(async () => {
  for (const c of children) await c.kill('SIGTERM');
  await sql?.end();
  await db?.drop();
  rmSync(temp, { recursive: true, force: true });
});

/** The test database's address, as the original's dbConfig fields. */
function address() {
  const u = new URL(db.url);
  return {
    host: u.hostname,
    port: u.port || '5432',
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: db.name,
  };
}

async function collect(channel: string) {
  const got: Ably.Message[] = [];
  await client.channels.get(channel).subscribe((m) => got.push(m));
  return {
    got,
    changes: () => got.map((m) => JSON.parse(m.data as string) as { table: string; type: string; row: Record<string, unknown> }),
    until: (n: number) => expect.poll(() => got.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(n),
  };
}

async function run(configFile: string, name: string): Promise<SpawnedConnector> {
  const c = await spawnConnector([
    '--config',
    configFile,
    '--endpoint',
    server().url,
    '--slot',
    `${db.name}_${name}`,
    '--publication',
    `${db.name}_${name}`,
  ]);
  children.push(c);
  return c;
}

async function rowJson(table: string, where: string, params: unknown[]): Promise<Record<string, unknown>> {
  return (await sql.query(`SELECT row_to_json(t) AS j FROM ${table} t WHERE ${where}`, params)).rows[0].j;
}

describe('rowcast connector with the original configuration files', { timeout: 180_000 }, () => {
  it("chat.json verbatim (address and key filled in): the chat's INSERT and UPDATE reach incoming-chat through REST", async () => {
    const original = JSON.parse(readFileSync(join(FIXTURES, 'chat.json'), 'utf8'));
    const filled = { ...original, dbConfig: address(), ably: { ...original.ably, apiKey: KEYS.full } };
    expect(Object.keys(filled)).toEqual(Object.keys(original));
    const file = join(temp, 'chat.json');
    writeFileSync(file, JSON.stringify(filled, null, 4));
    const sub = await collect('incoming-chat');
    const connector = await run(file, 'chat');

    // what the chat's rule function does for chatMsg and editedMsg
    await sql.query(`INSERT INTO chat_data(username, msg_id, msg_data, client_id, created_at_timestamp) VALUES ($1, $2, $3, $4, $5)`, [
      'ann',
      'm1',
      'hello',
      'clientId-abc',
      1700000000000,
    ]);
    const inserted = await rowJson('chat_data', 'msg_id = $1', ['m1']);
    await sql.query(`UPDATE chat_data SET msg_data = $1, is_edited = true WHERE msg_id = $2`, ['hello, edited', 'm1']);
    const updated = await rowJson('chat_data', 'msg_id = $1', ['m1']);
    await sql.query(`DELETE FROM chat_data WHERE msg_id = 'm1'`); // not mapped in chat.json: not published

    // a 20 KB message (pg_notify refused anything over 8,000 bytes) and a TOASTed one edited elsewhere
    const big = 'x'.repeat(20_000);
    const toasted = Array.from({ length: 1000 }, (_, i) => ((i * 2654435761) % 4294967296).toString(16).padStart(8, '0')).join('');
    await sql.query(`INSERT INTO chat_data(username, msg_id, msg_data) VALUES ('bob', 'm2', $1), ('cy', 'm3', $2)`, [big, toasted]);
    const toastTable = (await sql.query(`SELECT reltoastrelid::regclass::text AS t FROM pg_class WHERE relname = 'chat_data'`)).rows[0].t;
    expect((await sql.query(`SELECT count(*)::int AS n FROM ${toastTable}`)).rows[0].n).toBeGreaterThan(0); // stored out of line
    await sql.query(`UPDATE chat_data SET is_edited = true WHERE msg_id = 'm3'`);
    const m2 = await rowJson('chat_data', 'msg_id = $1', ['m2']);
    const m3 = await rowJson('chat_data', 'msg_id = $1', ['m3']);

    await sub.until(5);
    await sql.query(`INSERT INTO chat_data(username, msg_id) VALUES ('end', 'sentinel')`);
    await sub.until(6);
    const changes = sub.changes();
    expect(changes.map((c) => [c.table, c.type, c.row.msg_id])).toEqual([
      ['chat_data', 'INSERT', 'm1'],
      ['chat_data', 'UPDATE', 'm1'],
      ['chat_data', 'INSERT', 'm2'],
      ['chat_data', 'INSERT', 'm3'],
      ['chat_data', 'UPDATE', 'm3'],
      ['chat_data', 'INSERT', 'sentinel'],
    ]);
    expect(changes[0].row).toEqual(inserted);
    expect(changes[1].row).toEqual(updated);
    expect(changes[2].row).toEqual(m2);
    expect((changes[2].row.msg_data as string).length).toBe(20_000);
    expect(changes[4].row).toEqual(m3);
    expect(changes[4].row.msg_data).toBe(toasted);
    expect(sub.got[0].name).toBe('New message from the Ably/ Postgres connector');
    expect(connector.output()).toMatch(/REPLICA IDENTITY FULL on chat_data/);
  });

  it('example.env verbatim (address and key filled in): INSERT, UPDATE and DELETE reach their three channels', async () => {
    const a = address();
    const replaced: Record<string, string> = {
      DB_HOST: a.host,
      DB_PORT: a.port,
      DB_USER: a.user,
      DB_PASSWORD: a.password,
      DB_NAME: a.database,
      ABLY_API_KEY: KEYS.full,
    };
    const original = readFileSync(join(FIXTURES, 'example.env'), 'utf8');
    const filled = original.replace(/^(DB_HOST|DB_PORT|DB_USER|DB_PASSWORD|DB_NAME|ABLY_API_KEY)=.*$/gm, (_, k: string) => `${k}=${replaced[k]}`);
    expect(filled.split('\n').filter((l) => l.startsWith('ABLY_CONNECTOR='))).toEqual(
      original.split('\n').filter((l) => l.startsWith('ABLY_CONNECTOR=')),
    );
    const file = join(temp, 'example.env');
    writeFileSync(file, filled);
    const added = await collect('ably-users-added');
    const updated = await collect('ably-users-updated');
    const removed = await collect('ably-users-removed');
    await run(file, 'env');

    const { rows } = await sql.query(`INSERT INTO users (name, email) VALUES ('ann', 'ann@example.com') RETURNING row_to_json(users) AS j`);
    const afterUpdate = (await sql.query(`UPDATE users SET email = 'ann@example.org' WHERE name = 'ann' RETURNING row_to_json(users) AS j`)).rows[0]
      .j;
    const beforeDelete = (await sql.query(`DELETE FROM users WHERE name = 'ann' RETURNING row_to_json(users) AS j`)).rows[0].j;
    await added.until(1);
    await updated.until(1);
    await removed.until(1);
    expect(added.changes()).toEqual([{ table: 'users', type: 'INSERT', row: rows[0].j }]);
    expect(updated.changes()).toEqual([{ table: 'users', type: 'UPDATE', row: afterUpdate }]);
    expect(removed.changes()).toEqual([{ table: 'users', type: 'DELETE', row: beforeDelete }]);
  });

  it('rowcast start with `connector: "<chat.json as published>"` captures its own database in-process', async () => {
    const file = join(temp, 'chat-as-published.json');
    writeFileSync(file, readFileSync(join(FIXTURES, 'chat.json'))); // blank dbConfig: Rowcast's database is used
    process.env.CONNECTOR_SLOT_NAME = `${db.name}_inproc`;
    process.env.CONNECTOR_PUBLICATION_NAME = `${db.name}_inproc`;
    const own = await startRowcast({ database: { url: db.url }, connector: file });
    delete process.env.CONNECTOR_SLOT_NAME;
    delete process.env.CONNECTOR_PUBLICATION_NAME;
    const sub = new Ably.Realtime({ key: own.keys.full, endpoint: '127.0.0.1', port: own.port, tls: false });
    try {
      const got: Ably.Message[] = [];
      await sub.channels.get('incoming-chat').subscribe((m) => got.push(m));
      await sql.query(`INSERT INTO chat_data(username, msg_id, msg_data) VALUES ('dee', 'inproc-1', 'from rowcast start')`);
      const row = await rowJson('chat_data', 'msg_id = $1', ['inproc-1']);
      await expect.poll(() => got.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(got[0].data as string)).toEqual({ table: 'chat_data', type: 'INSERT', row });
    } finally {
      sub.close();
      await own.close();
    }
  });

  it('refuses to start on an unknown table or operation, saying which', async () => {
    const file = join(temp, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        dbConfig: address(),
        connector: [{ tablename: 'chat_dta', ablychannelname: 'x', operation: 'INSERT' }],
        ably: { apiKey: KEYS.full },
      }),
    );
    await expect(run(file, 'bad1')).rejects.toThrow(/unknown table "chat_dta" \(connector\[0\]\.tablename\)/);
    writeFileSync(
      file,
      JSON.stringify({
        dbConfig: address(),
        connector: [{ tablename: 'chat_data', ablychannelname: 'x', operation: 'UPSERT' }],
        ably: { apiKey: KEYS.full },
      }),
    );
    await expect(run(file, 'bad2')).rejects.toThrow(/got "UPSERT"/);
  });
});
