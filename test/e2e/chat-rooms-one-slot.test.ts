import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Ably from 'ably';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually, startRowcast, until, type TestRowcast } from '../support/rowcast.ts';

/**
 * One logical slot per database: when the change stream (`connector`) captures the database the chat rooms live
 * in, it also carries their SQL changes, instead of a second slot that would decode all the WAL again. A slot
 * the chat rooms had of their own from an earlier start (no connector then) is dropped, and the SQL change it
 * still held is published, not lost.
 */

const STREAM_WAIT_MS = 60_000;

let db: TestDatabase;
let sql: pg.Client;
let server: TestRowcast | undefined;
const clients: Ably.Realtime[] = [];

const CONNECTOR = {
  connector: {
    connector: [{ tablename: 'orders', ablychannelname: 'orders', operation: 'INSERT' }],
    slotName: 'one_slot_stream',
    publicationName: 'one_slot_stream',
  },
};

function client(clientId: string): Ably.Realtime {
  const c = new Ably.Realtime({ key: server!.keys.full, clientId, endpoint: '127.0.0.1', port: server!.port, tls: false });
  clients.push(c);
  return c;
}

async function slotsOfDatabase(): Promise<string[]> {
  const { rows } = await sql.query(`SELECT slot_name FROM pg_replication_slots WHERE database = current_database() ORDER BY slot_name`);
  return rows.map((r) => r.slot_name as string);
}

beforeAll(async () => {
  db = await createTestDatabase('chatoneslot');
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`CREATE TABLE orders (id serial PRIMARY KEY, item text)`);
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
  // the slots outlive Rowcast by design: drop them so they do not hold WAL after the test
  await sql?.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database() AND NOT active`);
  await sql?.end();
  await db?.drop();
});

describe('chat rooms on the change stream of their database', () => {
  it('share its slot, and a slot of their own from before is retired with nothing lost', { timeout: 180_000 }, async (ctx) => {
    if ((await sql.query('SHOW wal_level')).rows[0].wal_level !== 'logical') ctx.skip();

    // Without a connector the chat rooms follow SQL changes on a slot of their own.
    server = await startRowcast({ database: { url: db.url } });
    const first = client('alice').channels.get('desk::$chat');
    await first.publish({ name: 'chat.message', data: { text: 'before', metadata: {} } });
    const [created] = (await first.history()).items;
    const ownSlots = await slotsOfDatabase();
    expect(ownSlots).toHaveLength(1);
    expect(ownSlots[0]).toMatch(/^rowcast_chat_/);
    for (const c of clients.splice(0)) c.close();
    await server.close();
    server = undefined;

    // Edited by SQL while Rowcast is down: only that old slot holds the change.
    await sql.query(`UPDATE rowcast_chat_messages SET text = 'edited while down' WHERE serial = $1`, [created.serial]);

    server = await startRowcast({ database: { url: db.url }, ...CONNECTOR });
    expect(await slotsOfDatabase()).toEqual(['one_slot_stream']);
    const rest = new Ably.Rest({ key: server.keys.full, endpoint: '127.0.0.1', port: server.port, tls: false });
    const afterRestart = await eventually(async () => {
      const m = await rest.channels.get('desk::$chat').getMessage(created.serial!);
      return m.action === 'message.update' ? m : undefined;
    }, 'the change the old slot held');
    expect(afterRestart.data).toEqual({ text: 'edited while down', metadata: {} });

    // From now on one stream carries both: the connector's rows and the chat rooms' SQL changes.
    const watcher = client('watcher');
    const chat = watcher.channels.get('desk::$chat');
    const orders = watcher.channels.get('orders');
    const seen: Ably.InboundMessage[] = [];
    const rows: Ably.InboundMessage[] = [];
    await chat.subscribe((m) => seen.push(m));
    await orders.subscribe((m) => rows.push(m));
    await sql.query(`UPDATE rowcast_chat_messages SET text = 'moderated' WHERE serial = $1`, [created.serial]);
    await sql.query(`INSERT INTO orders (item) VALUES ('tea')`);
    const live = await until(() => seen.find((m) => m.action === 'message.update'), 'the live SQL edit', STREAM_WAIT_MS);
    expect([live.serial, live.data]).toEqual([created.serial, { text: 'moderated', metadata: {} }]);
    const order = await until(() => rows[0], 'the captured row', STREAM_WAIT_MS);
    // the original connector's form: the JSON text of {table, type, row}
    expect(JSON.parse(order.data)).toMatchObject({ table: 'orders', type: 'INSERT', row: { item: 'tea' } });
    expect(await slotsOfDatabase()).toEqual(['one_slot_stream']);
  });
});
