import { afterAll, beforeAll, expect, it } from 'vitest';
import * as Ably from 'ably';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { deepObject, deepObjectLevels } from '../support/raw-socket.ts';
import { clientOptions, startRowcast, until, type TestRowcast } from '../support/rowcast.ts';

/**
 * Issue 16, the change stream: a jsonb column nested far deeper than a message's `extras` may be (150 and 3,000
 * levels) reaches subscribers of both wire formats and REST history as it always did, inside the row's JSON text
 * (a string payload), since the depth limit is on structured fields, not on the text a message carries.
 */
let db: TestDatabase;
let sql: pg.Client;
let server: TestRowcast;

beforeAll(async () => {
  db = await createTestDatabase('cdeep');
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query('CREATE TABLE docs (id int PRIMARY KEY, body jsonb)');
  server = await startRowcast({
    database: { url: db.url },
    connector: {
      connector: [{ tablename: 'docs', ablychannelname: 'docs', operation: 'INSERT' }],
      slotName: `${db.name}_slot`,
      publicationName: `${db.name}_pub`,
    },
  });
});

afterAll(async () => {
  await server?.close();
  await sql?.end();
  await db?.drop();
});

it('publishes rows with deeply nested jsonb as string payloads every client decodes', async () => {
  const received: Record<string, Ably.Message[]> = { msgpack: [], json: [] };
  const clients = [true, false].map(
    (useBinaryProtocol) => new Ably.Realtime(clientOptions(server, { key: server.keys.full, useBinaryProtocol }) as Ably.ClientOptions),
  );
  try {
    await clients[0]!.channels.get('docs').subscribe((m) => void received.msgpack!.push(m));
    await clients[1]!.channels.get('docs').subscribe((m) => void received.json!.push(m));
    const levels = [150, 3000];
    for (const [id, depth] of levels.entries()) {
      await sql.query('INSERT INTO docs (id, body) VALUES ($1, $2)', [id, JSON.stringify(deepObject(depth))]);
    }
    for (const [format, messages] of Object.entries(received)) {
      await until(() => messages.length === levels.length, `${levels.length} rows at the ${format} subscriber (got ${messages.length})`);
      for (const [k, m] of messages.entries()) {
        expect(typeof m.data, format).toBe('string');
        const change = JSON.parse(m.data as string) as { row: { id: number; body: unknown } };
        expect(change.row.id).toBe(k);
        expect(deepObjectLevels(change.row.body)).toBe(levels[k]);
      }
    }
    for (const useBinaryProtocol of [true, false]) {
      const rest = new Ably.Rest(clientOptions(server, { key: server.keys.full, useBinaryProtocol }) as Ably.ClientOptions);
      const history = await rest.channels.get('docs').history({ direction: 'forwards' });
      expect(history.items.map((m) => typeof m.data)).toEqual(['string', 'string']);
    }
    for (const client of clients) expect(client.channels.get('docs').state).toBe('attached');
  } finally {
    for (const client of clients) client.close();
  }
});
