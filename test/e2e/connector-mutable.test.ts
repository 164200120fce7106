import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Ably from 'ably';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startRowcast, until, type TestRowcast } from '../support/rowcast.ts';

/**
 * Issue 12 part 5: a table mapped with `mutableMessages` reaches an `ably` SDK subscriber as mutable messages: the
 * INSERT as `message.create`, a SQL UPDATE of the row as `message.update` with the original serial, the DELETE as
 * `message.delete` of that serial; `getMessage` shows the latest version. After Rowcast (and its connector)
 * restarts, an UPDATE still changes the same serial: the key -> serial map is in the database, and a channel of a
 * chat room keeps its messages in PostgreSQL.
 */

/** A bound for the change stream on a loaded machine (logical decoding reads the whole cluster's WAL), not a timing claim. */
const STREAM_WAIT_MS = 60_000;

let db: TestDatabase;
let sql: pg.Client;
let server: TestRowcast;
const clients: Ably.Realtime[] = [];

async function start(): Promise<TestRowcast> {
  return startRowcast({
    database: { url: db.url },
    connector: {
      connector: ['INSERT', 'UPDATE', 'DELETE'].flatMap((operation) => [
        { tablename: 'tasks', ablychannelname: 'tasks', operation },
        { tablename: 'tasks', ablychannelname: 'board::$chat', operation },
      ]),
      mutableMessages: [{ tablename: 'tasks', keyColumn: 'code', name: 'task' }],
      slotName: `${db.name}_slot`,
      publicationName: `${db.name}_pub`,
    },
  });
}

function subscriber(channelName: string): { channel: Ably.RealtimeChannel; received: Ably.InboundMessage[] } {
  const client = new Ably.Realtime({ key: server.keys.full, endpoint: '127.0.0.1', port: server.port, tls: false });
  clients.push(client);
  const channel = client.channels.get(channelName);
  const received: Ably.InboundMessage[] = [];
  void channel.subscribe((m) => received.push(m));
  return { channel, received };
}

beforeAll(async () => {
  db = await createTestDatabase('cmut');
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`CREATE TABLE tasks (id serial PRIMARY KEY, code text UNIQUE NOT NULL, title text, done boolean DEFAULT false)`);
  server = await start();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
  await sql?.end();
  await db?.drop();
});

describe('change stream: rows as mutable messages', () => {
  it('publishes a SQL UPDATE of a mapped row as message.update of the original serial, and DELETE as message.delete', {
    timeout: 240_000,
  }, async () => {
    const { channel, received } = subscriber('tasks');
    await channel.attach();
    await sql.query(`INSERT INTO tasks (code, title) VALUES ('T-1', 'write the test')`);
    const created = await until(() => received.find((m) => m.action === 'message.create'), 'the create', STREAM_WAIT_MS);
    expect(created.name).toBe('task');
    expect(created.data).toMatchObject({ code: 'T-1', title: 'write the test', done: false });

    await sql.query(`UPDATE tasks SET done = true, title = 'write the test, done' WHERE code = 'T-1'`);
    const updated = await until(() => received.find((m) => m.action === 'message.update'), 'the update', STREAM_WAIT_MS);
    expect(updated.serial).toBe(created.serial);
    expect(updated.data).toMatchObject({ code: 'T-1', title: 'write the test, done', done: true });
    expect(updated.version?.serial && updated.version.serial > created.serial!).toBe(true);
    const latest = await channel.getMessage(created.serial!);
    expect(latest.data).toMatchObject({ done: true });

    await sql.query(`DELETE FROM tasks WHERE code = 'T-1'`);
    const deleted = await until(() => received.find((m) => m.action === 'message.delete'), 'the delete', STREAM_WAIT_MS);
    expect(deleted.serial).toBe(created.serial);
    expect(received.map((m) => m.action)).toEqual(['message.create', 'message.update', 'message.delete']);
  });

  it('after Rowcast restarts, an UPDATE still changes the same serial (chat room channel, messages in PostgreSQL)', {
    timeout: 180_000,
  }, async () => {
    const before = subscriber('board::$chat');
    await before.channel.attach();
    await sql.query(`INSERT INTO tasks (code, title) VALUES ('T-2', 'survive a restart')`);
    const created = await until(() => before.received.find((m) => m.data?.code === 'T-2'), 'the create', STREAM_WAIT_MS);
    expect(created.action).toBe('message.create');

    for (const c of clients.splice(0)) c.close();
    await server.close();
    server = await start();

    const after = subscriber('board::$chat');
    await after.channel.attach();
    await sql.query(`UPDATE tasks SET title = 'survived' WHERE code = 'T-2'`);
    const updated = await until(() => after.received.find((m) => m.data?.code === 'T-2'), 'the update after the restart', STREAM_WAIT_MS);
    expect(updated.action).toBe('message.update');
    expect(updated.serial).toBe(created.serial);
    expect(updated.data).toMatchObject({ title: 'survived' });
  });
});
