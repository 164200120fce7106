import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Ably from 'ably';
import pg from 'pg';
import { startRowcast, type TestRowcast } from '../support/rowcast.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * The original system's chat Lambda, in its shape (CommonJS `exports.handler`, `messages[0]`, `JSON.parse(data)`,
 * INSERT on chatMsg, UPDATE on editedMsg, connection settings from Lambda-style environment variables), as a
 * function rule target: chat messages published with the ably SDK become rows of the original `chat_data` table.
 */

let db: TestDatabase;
let sql: pg.Pool;
let rowcast: TestRowcast;
const clients: Ably.Realtime[] = [];

beforeAll(async () => {
  db = await createTestDatabase('rules_chat');
  sql = new pg.Pool({ connectionString: db.url, max: 2 });
  await sql.query(`CREATE TABLE chat_data (
    username text, msg_id text PRIMARY KEY, msg_data text, client_id text,
    incremental_record_id bigserial NOT NULL, created_at_timestamp bigint, is_edited boolean)`);
  const url = new URL(db.url);
  // the original read these from the Lambda's environment; PORT here is the database's, not Rowcast's
  const lambdaEnv = {
    HOST: url.hostname,
    PORT: url.port,
    USER: decodeURIComponent(url.username),
    PASSWORD: decodeURIComponent(url.password),
    DATABASE: url.pathname.slice(1),
  };
  rowcast = await startRowcast({
    database: { url: db.url },
    rules: [
      {
        id: 'original-lambda',
        channelFilter: '^outgoing-chat-original$',
        target: { type: 'function', module: './packages/rules/test-fixtures/original-style-lambda.js', env: lambdaEnv },
      },
      {
        id: 'chat-writer',
        channelFilter: '^outgoing-chat$',
        source: 'channel.message',
        enveloped: true,
        target: {
          type: 'function',
          module: './packages/rules/test-fixtures/chat-function.cjs',
          env: lambdaEnv,
        },
      },
    ],
  });
});

afterAll(async () => {
  for (const client of clients) client.close();
  await rowcast?.close();
  await sql?.end();
  await db?.drop();
});

function realtime(options: Ably.ClientOptions): Ably.Realtime {
  const client = new Ably.Realtime({ endpoint: '127.0.0.1', port: rowcast.port, tls: false, ...options });
  clients.push(client);
  return client;
}

async function rowsWhen(check: (rows: any[]) => boolean): Promise<any[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { rows } = await sql.query(
      'SELECT username, msg_id, msg_data, client_id, created_at_timestamp, is_edited FROM chat_data ORDER BY incremental_record_id',
    );
    if (check(rows)) return rows;
    if (Date.now() > deadline) throw new Error(`chat_data never reached the expected state: ${JSON.stringify(rows)}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

describe('the original chat function as a rule target', () => {
  it('runs a Lambda written like the original unchanged (CommonJS .js, callback signature, sync return)', async () => {
    await sql.query('TRUNCATE chat_data');
    const bob = realtime({ key: rowcast.keys.full, clientId: 'bob' });
    const chat = bob.channels.get('outgoing-chat-original');
    await chat.publish('chatMsg', { username: 'bob', content: 'one' });
    await chat.publish('chatMsg', { username: 'bob', content: 'two' });
    const rows = await rowsWhen((r) => r.length === 2);
    // the original fires its INSERT without waiting, on a new connection each: rows may land in either order
    expect(rows.map((r) => [r.username, r.msg_data, r.client_id]).sort()).toEqual([
      ['bob', 'one', 'bob'],
      ['bob', 'two', 'bob'],
    ]);
  });

  it.each([
    ['msgpack', true],
    ['JSON', false],
  ])('turns chatMsg and editedMsg published with the SDK (%s) into rows', async (_, useBinaryProtocol) => {
    await sql.query('TRUNCATE chat_data');
    const clientId = `alice-${useBinaryProtocol ? 'bin' : 'json'}`;
    const observer = realtime({ key: rowcast.keys.full, clientId: 'observer' });
    const seen: Ably.Message[] = [];
    const observed = observer.channels.get('outgoing-chat');
    await observed.subscribe((m) => void seen.push(m));

    const alice = realtime({ key: rowcast.keys.full, clientId, echoMessages: false, useBinaryProtocol });
    const chat = alice.channels.get('outgoing-chat');
    await chat.publish('chatMsg', { username: 'alice', content: 'hello' });
    await chat.publish('chatMsg', { username: 'alice', content: 'second, with a typo' });
    await chat.publish('chatMsg', { username: 'alice', content: 'third' });

    const inserted = await rowsWhen((rows) => rows.length === 3);
    const ids = seen.map((m) => m.id);
    expect(inserted.map((r) => r.msg_id)).toEqual(ids);
    expect(inserted[0]).toEqual({
      username: 'alice',
      msg_id: seen[0].id,
      msg_data: 'hello',
      client_id: clientId,
      created_at_timestamp: String(seen[0].timestamp),
      is_edited: null,
    });

    await chat.publish('editedMsg', { username: 'alice', content: 'second, fixed', msgIdToEdit: ids[1] });
    const edited = await rowsWhen((rows) => rows.some((r) => r.is_edited));
    expect(edited.map((r) => [r.msg_data, r.is_edited])).toEqual([
      ['hello', null],
      ['second, fixed', true],
      ['third', null],
    ]);
  });
});
