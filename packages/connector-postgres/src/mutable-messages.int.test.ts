import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from '@rowcast/test-support/database';
import { parseConnectorConfig } from './config.js';
import { PostgresConnector } from './connector.js';
import { ConnectorSetupError } from './setup.js';
import { RecordingPublisher, waitUntil } from './testing/recording-publisher.js';

/**
 * Mutable-message tables (`mutableMessages`) against real PostgreSQL with a recording publisher: a row is one
 * message, its changes create, update and delete that serial; the key -> serial map outlives the connector; the
 * changes the stream re-sends after a restart are not applied twice. With the real SDK: test/e2e/connector-mutable.
 */

const logger = pino({ level: 'silent' });
let db: TestDatabase;
let sql: pg.Client;
const running: PostgresConnector[] = [];

beforeAll(async () => {
  db = await createTestDatabase('mut');
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`CREATE TABLE notes (id int PRIMARY KEY, slug text, body text); CREATE TABLE plain (id int PRIMARY KEY)`);
});

afterAll(async () => {
  for (const c of running) await c.stop();
  await sql?.end();
  await db?.drop();
});

const ALL_OPS = ['INSERT', 'UPDATE', 'DELETE'].map((operation) => ({ tablename: 'notes', ablychannelname: 'notes', operation }));

function configFor(slot: string, extra: Record<string, unknown> = {}) {
  return parseConnectorConfig({
    databaseUrl: db.url,
    connector: ALL_OPS,
    mutableMessages: [{ tablename: 'notes', keyColumn: 'slug', name: 'note' }],
    slotName: slot,
    publicationName: slot,
    ...extra,
  });
}

async function startConnector(slot: string, publisher: RecordingPublisher, extra = {}) {
  const c = new PostgresConnector(configFor(slot, extra), publisher, logger);
  await c.start();
  running.push(c);
  await waitUntil(() => c.state().streaming, 20_000, 'streaming');
  return c;
}

const rowOf = (op: { message: { data: string } }) => JSON.parse(op.message.data) as Record<string, unknown>;

describe('mutable-message tables', () => {
  it('publishes INSERT, UPDATE and DELETE of a row as create, update and delete of one serial', async () => {
    const pub = new RecordingPublisher();
    await startConnector('mut_basic', pub);
    await sql.query(`INSERT INTO notes VALUES (1, 'a', 'first'), (2, 'b', 'other')`);
    await sql.query(`UPDATE notes SET body = 'edited' WHERE slug = 'a'`);
    await sql.query(`DELETE FROM notes WHERE slug = 'a'`);
    await waitUntil(() => pub.operations.length >= 4, 20_000, 'four operations');
    const ops = pub.operations.map((o) => [o.action, o.serial, rowOf(o).slug, rowOf(o).body]);
    expect(ops).toEqual([
      ['create', 's1', 'a', 'first'],
      ['create', 's2', 'b', 'other'],
      ['update', 's1', 'a', 'edited'],
      ['delete', 's1', 'a', 'edited'],
    ]);
    expect(pub.operations.every((o) => o.message.name === 'note' && o.channel === 'notes')).toBe(true);
    // the original {table, type, row} form is not used for this table
    expect(pub.published).toEqual([]);
    // The entry is written once the server accepted the change (before its position is confirmed), so just after
    // the fourth publish the delete's entry may still be on its way.
    const entries = async () =>
      (await sql.query(`SELECT row_key, serial, deleted FROM rowcast_connector_serials WHERE slot_name = 'mut_basic' ORDER BY row_key`)).rows;
    await waitUntil(async () => (await entries()).some((r) => r.row_key === 'a' && r.deleted), 20_000, 'the delete recorded');
    expect(await entries()).toEqual([
      { row_key: 'a', serial: 's1', deleted: true },
      { row_key: 'b', serial: 's2', deleted: false },
    ]);
  });

  it('updates the same serial after the connector restarts (the map is in the database), re-sending the change that was not accepted', async () => {
    const pub = new RecordingPublisher();
    const first = await startConnector('mut_restart', pub);
    await sql.query(`INSERT INTO notes VALUES (10, 'r', 'v1')`);
    await waitUntil(() => pub.operations.length >= 1, 20_000, 'create');
    // Stopped while an update waits on a publisher that is down: that change is not confirmed, so it comes again.
    pub.failWith = new Error('server down');
    await sql.query(`UPDATE notes SET body = 'v2' WHERE slug = 'r'`);
    await waitUntil(() => first.state().publishFailures > 0, 20_000, 'a failed publish');
    await first.stop();
    pub.failWith = undefined;

    const second = await startConnector('mut_restart', pub);
    await sql.query(`UPDATE notes SET body = 'v3' WHERE slug = 'r'`);
    await waitUntil(() => pub.operations.length >= 3, 20_000, 'both updates');
    await sql.query(`DELETE FROM notes WHERE slug = 'r'`);
    await waitUntil(() => pub.operations.length >= 4, 20_000, 'delete');
    expect(pub.operations.map((o) => [o.action, o.serial, rowOf(o).body])).toEqual([
      ['create', 's1', 'v1'],
      ['update', 's1', 'v2'],
      ['update', 's1', 'v3'],
      ['delete', 's1', 'v3'],
    ]);
    await second.stop();

    // A third start (a fresh map cache) sends nothing again and goes on with the next change.
    const third = await startConnector('mut_restart', pub);
    await sql.query(`INSERT INTO notes VALUES (11, 'after', 'x')`);
    await waitUntil(() => pub.operations.length >= 5, 20_000, 'the next create');
    expect(pub.operations.slice(4).map((o) => [o.action, rowOf(o).slug])).toEqual([['create', 'after']]);
    await third.stop();
  });

  it('creates the message of a row that existed before the table was mapped at its first UPDATE', async () => {
    await sql.query(`INSERT INTO notes VALUES (20, 'old', 'before')`);
    const pub = new RecordingPublisher();
    await startConnector('mut_late', pub);
    await sql.query(`UPDATE notes SET body = 'now' WHERE slug = 'old'`);
    await sql.query(`UPDATE notes SET body = 'again' WHERE slug = 'old'`);
    await waitUntil(() => pub.operations.length >= 2, 20_000, 'two operations');
    expect(pub.operations.map((o) => [o.action, o.serial, rowOf(o).body])).toEqual([
      ['create', 's1', 'now'],
      ['update', 's1', 'again'],
    ]);
  });

  it('refuses a mutableMessages table that no mapping captures, or a key column it lacks', async () => {
    const bad = async (mutableMessages: unknown) => {
      const c = new PostgresConnector(configFor('mut_bad', { mutableMessages }), new RecordingPublisher(), logger);
      const error = await c.start().then(
        () => undefined,
        (err: unknown) => err,
      );
      if (!error) await c.stop();
      return error;
    };
    const notCaptured = await bad([{ tablename: 'plain', keyColumn: 'id' }]);
    expect(notCaptured).toBeInstanceOf(ConnectorSetupError);
    expect(String(notCaptured)).toMatch(/"plain" \(mutableMessages\[0\]\.tablename\) is not a table of connector\[\]/);
    const noColumn = await bad([{ tablename: 'notes', keyColumn: 'nope' }]);
    expect(String(noColumn)).toMatch(/table notes has no column "nope" \(mutableMessages\[0\]\.keyColumn\)/);
  });
});
