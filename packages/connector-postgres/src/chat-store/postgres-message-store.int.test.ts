import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { AcceptedAnnotation, AcceptedMessage } from '@rowcast/core';
import { runMessageStoreSuite } from '@rowcast/core/testing';
import { createTestDatabase, type TestDatabase } from '@rowcast/test-support/database';
import { PostgresMessageStore } from './postgres-message-store.js';

/**
 * The chat rooms' MessageStore against real PostgreSQL: what it records is what it answers, in serial order, across
 * a new store on the same database (a restart); the rows are queryable with the chat fields as columns; a SQL edit
 * is marked for publishing and a SQL DELETE keeps the deleted message. Through the engine and the SDK:
 * test/e2e/chat-rooms-postgres.test.ts.
 */

let db: TestDatabase;
let sql: pg.Client;
let store: PostgresMessageStore;
const ROOM = 'lobby::$chat';

beforeAll(async () => {
  db = await createTestDatabase('chatstore');
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  store = new PostgresMessageStore();
  await store.connect(db.url);
});

afterAll(async () => {
  await store?.close();
  await sql?.end();
  await db?.drop();
});

const event = (n: number) => `mr0k1x-${String(n).padStart(12, '0')}`;
const serialOf = (n: number) => `${event(n)}:0000`;

function create(n: number, text: string, clientId = 'alice'): AcceptedMessage {
  return {
    id: `id-${n}`,
    name: 'chat.message',
    clientId,
    serial: serialOf(n),
    action: 0,
    timestamp: 1_700_000_000_000 + n,
    data: JSON.stringify({ text, metadata: { n } }),
    encoding: 'json',
    extras: { headers: { lang: 'en' } },
    version: { serial: serialOf(n), timestamp: 1_700_000_000_000 + n },
  };
}

function update(of: AcceptedMessage, n: number, text: string, action = 1): AcceptedMessage {
  return {
    ...of,
    action,
    data: JSON.stringify({ text, metadata: {} }),
    version: { serial: serialOf(n), timestamp: 1_700_000_000_000 + n, clientId: of.clientId, description: 'typo' },
  };
}

const texts = (ms: Array<AcceptedMessage | undefined>) => ms.map((m) => (m ? JSON.parse(String(m.data)).text : undefined));

describe('PostgresMessageStore', () => {
  it('records creates and versions, answers the latest, every version and history in serial order, across a restart', async () => {
    const a = create(1, 'hello');
    const b = create(2, 'world', 'bob');
    await store.record(ROOM, [a, b]);
    await store.record(ROOM, [update(a, 3, 'hello!')]);
    // an older version arriving late is listed but does not replace the latest
    await store.record(ROOM, [update(a, 2, 'hullo')]);
    expect(texts(await store.latest(ROOM, [a.serial, 'unknown', b.serial]))).toEqual(['hello!', undefined, 'world']);
    expect(texts(await store.versions(ROOM, a.serial, { direction: 'forwards', limit: 10 }))).toEqual(['hello', 'hullo', 'hello!']);
    expect(texts(await store.versions(ROOM, a.serial, { direction: 'backwards', after: serialOf(3), limit: 1 }))).toEqual(['hullo']);

    const restarted = new PostgresMessageStore();
    await restarted.connect(db.url);
    try {
      // history lists each message as created (the engine then shows it as it now is, from `latest`)
      expect(texts(await restarted.history!(ROOM, { direction: 'backwards', limit: 10 }))).toEqual(['world', 'hello']);
      expect(texts(await restarted.history!(ROOM, { direction: 'forwards', limit: 10 }))).toEqual(['hello', 'world']);
      // bounds that are event serials exclude or include that event's messages
      expect(texts(await restarted.history!(ROOM, { direction: 'forwards', after: event(1), limit: 10 }))).toEqual(['world']);
      expect(texts(await restarted.history!(ROOM, { direction: 'forwards', notAfter: event(1), limit: 10 }))).toEqual(['hello']);
      expect(texts(await restarted.history!(ROOM, { direction: 'backwards', after: b.serial, limit: 10 }))).toEqual(['hello']);
      expect(texts(await restarted.latest(ROOM, [a.serial]))).toEqual(['hello!']);
      expect(await restarted.history!('other::$chat', { direction: 'forwards', limit: 10 })).toEqual([]);
    } finally {
      await restarted.close();
    }

    const { rows } = await sql.query(
      `SELECT room, serial, action, client_id, text, metadata, headers, version_description FROM rowcast_chat_messages ORDER BY serial`,
    );
    expect(rows).toEqual([
      {
        room: 'lobby',
        serial: a.serial,
        action: 'message.update',
        client_id: 'alice',
        text: 'hello!',
        metadata: {},
        headers: { lang: 'en' },
        version_description: 'typo',
      },
      {
        room: 'lobby',
        serial: b.serial,
        action: 'message.create',
        client_id: 'bob',
        text: 'world',
        metadata: { n: 2 },
        headers: { lang: 'en' },
        version_description: null,
      },
    ]);
  });

  it('keeps annotations, answers the whole list with each write, and the newest summary on the message', async () => {
    const m = create(10, 'react to me');
    await store.record(ROOM, [m]);
    const annotation = (n: number, name: string, action = 0): AcceptedAnnotation => ({
      id: `a-${n}`,
      action,
      serial: `${event(10 + n)}:0000`,
      messageSerial: m.serial,
      type: 'reaction:distinct.v1',
      name,
      clientId: 'bob',
      timestamp: 1_700_000_000_100 + n,
    });
    expect((await store.addAnnotation(ROOM, annotation(1, '👍'))).map((a) => a.name)).toEqual(['👍']);
    const both = await store.addAnnotation(ROOM, annotation(2, '👍', 1));
    expect(both.map((a) => [a.name, a.action])).toEqual([
      ['👍', 0],
      ['👍', 1],
    ]);
    expect((await store.annotations(ROOM, m.serial, { after: annotation(1, '').serial, limit: 5 })).map((a) => a.id)).toEqual(['a-2']);

    const summary = { summary: { 'reaction:distinct.v1': { '👍': { total: 1, clientIds: ['bob'], clipped: false } } } };
    await store.setSummary(ROOM, m.serial, summary, annotation(1, '').serial);
    await store.setSummary(ROOM, m.serial, { summary: {} }, annotation(2, '').serial);
    await store.setSummary(ROOM, m.serial, summary, annotation(1, '').serial); // older: ignored
    expect((await store.latest(ROOM, [m.serial]))[0]?.annotations).toEqual({ summary: {} });
    const { rows } = await sql.query(`SELECT action, type, name, client_id FROM rowcast_chat_annotations WHERE message_serial = $1 ORDER BY serial`, [
      m.serial,
    ]);
    expect(rows).toEqual([
      { action: 'annotation.create', type: 'reaction:distinct.v1', name: '👍', client_id: 'bob' },
      { action: 'annotation.delete', type: 'reaction:distinct.v1', name: '👍', client_id: 'bob' },
    ]);
  });

  it('keeps binary data binary', async () => {
    const m: AcceptedMessage = { ...create(20, ''), data: new Uint8Array([0, 1, 255]), encoding: undefined };
    await store.record(ROOM, [m]);
    const [got] = await store.latest(ROOM, [m.serial]);
    expect(got?.data).toEqual(new Uint8Array([0, 1, 255]));
  });

  it("marks a SQL UPDATE for publishing with the row's new text, and turns a SQL DELETE into a pending delete", async () => {
    const m = create(30, 'before');
    await store.record(ROOM, [m]);
    expect(await store.pendingSqlChange(ROOM, m.serial)).toBeUndefined();
    await sql.query(`UPDATE rowcast_chat_messages SET text = 'fixed by the moderator' WHERE serial = $1`, [m.serial]);
    const pending = await store.pendingSqlChange(ROOM, m.serial);
    expect(pending).toMatchObject({ change: 'update', fields: { text: 'fixed by the moderator' } });
    // Rowcast's write of the new version clears the mark
    await store.record(ROOM, [update(m, 31, 'fixed by the moderator')]);
    expect(await store.pendingSqlChange(ROOM, m.serial)).toBeUndefined();

    const del = await sql.query(`DELETE FROM rowcast_chat_messages WHERE serial = $1`, [m.serial]);
    expect(del.rowCount).toBe(0); // kept as the deleted message, to be published
    expect((await store.pendingSqlChange(ROOM, m.serial))?.change).toBe('delete');
    // erasing for good is explicit
    await sql.query(`SET rowcast.erase = on`);
    expect((await sql.query(`DELETE FROM rowcast_chat_messages WHERE serial = $1`, [m.serial])).rowCount).toBe(1);
    await sql.query(`RESET rowcast.erase`);
  });

  it('reads a SQL change whose transaction is still ending as it ends, not as the row was before it', async () => {
    // The change stream can deliver a transaction before a new snapshot sees it committed (the walsender sends
    // it once its commit record is flushed; the backend leaves the running transactions after that). A
    // transaction held open stands in for that moment: the read waits for it and sees the change.
    const m = create(40, 'before');
    await store.record(ROOM, [m]);
    const editor = new pg.Client({ connectionString: db.url });
    await editor.connect();
    try {
      await editor.query('BEGIN');
      await editor.query(`UPDATE rowcast_chat_messages SET text = 'edited' WHERE serial = $1`, [m.serial]);
      let answered = false;
      const read = store.pendingSqlChange(ROOM, m.serial).finally(() => (answered = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(answered).toBe(false);
      await editor.query('COMMIT');
      expect(await read).toMatchObject({ change: 'update', fields: { text: 'edited' } });
    } finally {
      await editor.end(); // a transaction still open (a failed check) ends with its connection
    }
  });
});

const suiteStores: PostgresMessageStore[] = [];
runMessageStoreSuite('PostgreSQL (chat rooms)', {
  async newStore() {
    const s = new PostgresMessageStore();
    await s.connect(db.url);
    suiteStores.push(s);
    return s;
  },
  async cleanup() {
    for (const s of suiteStores) await s.close();
  },
});
