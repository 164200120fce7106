import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Ably from 'ably';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually, startRowcast, until, type TestRowcast } from '../support/rowcast.ts';

/**
 * Issue 12 part 4: with a database, chat rooms (`<room>::$chat`) are rows in PostgreSQL. Messages, their versions
 * and reactions (annotations) sent with the `ably` SDK are rows of rowcast_chat_*; a SQL UPDATE of a message's
 * text reaches subscribers as `message.update` of its serial, a SQL DELETE as `message.delete`; after Rowcast
 * restarts, history still has every message as it now is, with its reactions.
 */

/**
 * How long a SQL change may take to come through the change stream: logical decoding reads the whole cluster's WAL,
 * so a parallel test writing much in another database delays it (a bound for a slow machine, not a timing claim).
 */
const STREAM_WAIT_MS = 60_000;

let db: TestDatabase;
let sql: pg.Client;
let server: TestRowcast;
const clients: Ably.Realtime[] = [];

function client(clientId: string): Ably.Realtime {
  const c = new Ably.Realtime({ key: server.keys.full, clientId, endpoint: '127.0.0.1', port: server.port, tls: false });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  db = await createTestDatabase('chatrooms');
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  server = await startRowcast({ database: { url: db.url } });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
  await sql?.end();
  await db?.drop();
});

describe('chat rooms in PostgreSQL', () => {
  it('keeps messages, versions and reactions as rows; publishes SQL edits and deletes; history survives a restart', {
    timeout: 180_000,
  }, async () => {
    const alice = client('alice').channels.get('lobby::$chat');
    const watcher = client('watcher').channels.get('lobby::$chat');
    const seen: Ably.InboundMessage[] = [];
    await watcher.subscribe((m) => seen.push(m));
    await alice.attach();

    await alice.publish({ name: 'chat.message', data: { text: 'hello', metadata: { mood: 'glad' } }, extras: { headers: { lang: 'en' } } });
    await alice.publish({ name: 'chat.message', data: { text: 'second', metadata: {} } });
    const [first, second] = await until(() => (seen.length >= 2 ? seen.slice(0, 2) : undefined), 'both messages');
    const serial = first.serial!;

    const rows = await sql.query(`SELECT room, client_id, text, metadata, headers, action FROM rowcast_chat_messages ORDER BY serial`);
    expect(rows.rows).toEqual([
      { room: 'lobby', client_id: 'alice', text: 'hello', metadata: { mood: 'glad' }, headers: { lang: 'en' }, action: 'message.create' },
      { room: 'lobby', client_id: 'alice', text: 'second', metadata: {}, headers: null, action: 'message.create' },
    ]);

    // A moderator edits the text in SQL: subscribers see the update of the same serial. SQL changes are published
    // through logical replication; on a PostgreSQL without it (wal_level=replica) Rowcast says so at start (see
    // docs/chat-rooms-in-postgresql.md) and the moderator edits through the SDK instead.
    const logical = (await sql.query('SHOW wal_level')).rows[0].wal_level === 'logical';
    if (logical) await sql.query(`UPDATE rowcast_chat_messages SET text = 'hello (moderated)' WHERE serial = $1`, [serial]);
    else
      await alice.updateMessage(
        { serial, data: { text: 'hello (moderated)', metadata: { mood: 'glad' } } },
        { description: 'changed in the database' },
      );
    const updated = await until(() => seen.find((m) => m.action === 'message.update'), 'the SQL edit', STREAM_WAIT_MS);
    expect(updated.serial).toBe(serial);
    expect(updated.data).toEqual({ text: 'hello (moderated)', metadata: { mood: 'glad' } });
    expect(updated.version?.description).toBe('changed in the database');
    // subscribers get the new version as it is sequenced; its row is written just after, so it is waited for
    const versions = async () =>
      (await sql.query(`SELECT count(*)::int AS n FROM rowcast_chat_message_versions WHERE serial = $1`, [serial])).rows[0].n;
    await eventually(async () => (await versions()) === 2, 'both versions as rows');

    // a reaction is a row too
    await alice.annotations.publish(serial, { type: 'reaction:distinct.v1', name: '👍' });
    const reaction = await until(() => seen.find((m) => m.action === 'message.summary'), 'the reaction summary');
    expect(reaction.serial).toBe(serial);
    expect((await sql.query(`SELECT type, name, client_id FROM rowcast_chat_annotations WHERE message_serial = $1`, [serial])).rows).toEqual([
      { type: 'reaction:distinct.v1', name: '👍', client_id: 'alice' },
    ]);

    // a SQL DELETE deletes the message for everyone (the row stays as the deleted message)
    if (logical) await sql.query(`DELETE FROM rowcast_chat_messages WHERE serial = $1`, [second.serial]);
    else await alice.deleteMessage({ serial: second.serial });
    const deleted = await until(() => seen.find((m) => m.action === 'message.delete'), 'the SQL delete', STREAM_WAIT_MS);
    expect(deleted.serial).toBe(second.serial);

    for (const c of clients.splice(0)) c.close();
    await server.close();
    server = await startRowcast({ database: { url: db.url } });
    const rest = new Ably.Rest({ key: server.keys.full, endpoint: '127.0.0.1', port: server.port, tls: false });
    const history = await rest.channels.get('lobby::$chat').history({ direction: 'forwards' });
    expect(history.items.map((m) => [m.serial, m.action, m.data])).toEqual([
      [serial, 'message.update', { text: 'hello (moderated)', metadata: { mood: 'glad' } }],
      [second.serial, 'message.delete', expect.anything()],
    ]);
    const latest = await rest.channels.get('lobby::$chat').getMessage(serial);
    expect(latest.annotations?.summary['reaction:distinct.v1']).toMatchObject({ '👍': { total: 1, clientIds: ['alice'] } });
  });
});
