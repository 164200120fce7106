import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import pino from 'pino';
import { createAuthenticator, RealtimeNode, type AcceptedMessage } from '@rowcast/core';
import { createRedisEngine, type RedisEngine } from '@rowcast/broker-redis';
import { deletePrefix, uniquePrefix } from '@rowcast/broker-redis/testing';
import { createTestDatabase, type TestDatabase } from '@rowcast/test-support/database';
import { parseConnectorConfig } from './config.js';
import { PostgresConnector } from './connector.js';
import { nodePublisher } from './publisher-node.js';
import { waitUntil } from './testing/recording-publisher.js';

/**
 * The change stream publishing in-process (the engine's bulk path), streaming the same transactions twice: a
 * second connector on a copy of the first one's slot re-sends everything, as after a crash or a failover. The
 * engine drops every re-sent batch by its ids, with the memory engine (one node) and with Redis (the re-send
 * goes through another node, whose own memory knows nothing: the broker's script drops it).
 */

const redisUrl = inject('redisUrl');
const logger = pino({ level: 'silent' });
const auth = createAuthenticator({ keys: [{ name: 'a.b', secret: 'secretsecret', capability: { '*': ['*'] } }] });
const ROWS = 2000;
const PER_TX = 500;
const CHANNEL = 'in-process-items';

let db: TestDatabase;
let sql: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase('connnode');
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
});

afterAll(async () => {
  await sql?.end();
  await db?.drop();
});

/** Two engine nodes: the same one twice (memory), or two nodes of one Redis cluster. */
interface Nodes {
  first: RealtimeNode;
  second: RealtimeNode;
  close(): Promise<void>;
}

function memoryNodes(): Nodes {
  const node = new RealtimeNode({ auth });
  return { first: node, second: node, close: () => node.close() };
}

async function redisNodes(): Promise<Nodes> {
  const prefix = uniquePrefix('connnode');
  const engines: RedisEngine[] = [];
  const nodes: RealtimeNode[] = [];
  for (let i = 0; i < 2; i++) {
    const engine = await createRedisEngine({
      url: redisUrl,
      prefix,
      retention: { ttlMs: 120_000, maxEventsPerChannel: 10_000 },
      presenceLeaveDelayMs: 15_000,
      idempotencyWindowMs: 120_000,
    });
    engines.push(engine);
    nodes.push(new RealtimeNode({ auth, broker: engine.broker, history: engine.history, presence: engine.presence, nodeId: engine.nodeId }));
  }
  return {
    first: nodes[0],
    second: nodes[1],
    async close() {
      for (const n of nodes) await n.close();
      for (const e of engines) await e.close();
      await deletePrefix(redisUrl, prefix);
    },
  };
}

/** Every message of a channel's history, oldest first, page by page. */
async function allHistory(node: RealtimeNode, channel: string): Promise<AcceptedMessage[]> {
  const out: AcceptedMessage[] = [];
  let cursor: string | undefined;
  do {
    const page = await node.history(channel, { direction: 'forwards', limit: 1000, cursor });
    out.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return out;
}

const rowIdOf = (m: AcceptedMessage) => (JSON.parse(String(m.data)) as { row: { id: number } }).row.id;

describe.each([
  { engine: 'memory', skip: false },
  { engine: 'redis', skip: !redisUrl },
])('in-process publishing ($engine engine)', ({ engine, skip }) => {
  it.skipIf(skip)(`a transaction stream re-sent from an older slot position reaches the channel once (${ROWS} rows)`, async () => {
    const table = `items_${engine}`;
    await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY, payload text)`);
    const nodes = engine === 'memory' ? memoryNodes() : await redisNodes();
    // What the engine accepted, as hooks see it (the rules' view): on both nodes, so a re-sent batch accepted
    // by the second would show here.
    const accepted: number[] = [];
    for (const node of new Set([nodes.first, nodes.second])) {
      node.onAccepted((e) => {
        if (e.kind === 'message' && e.channel === CHANNEL) for (const m of e.messages) accepted.push(rowIdOf(m));
      });
    }
    const connectors: PostgresConnector[] = [];
    const start = async (slotName: string, node: RealtimeNode) => {
      const config = parseConnectorConfig({
        databaseUrl: db.url,
        connector: [{ tablename: table, ablychannelname: CHANNEL, operation: 'INSERT' }],
        slotName,
        publicationName: `${db.name}_${engine}_pub`,
      });
      const c = new PostgresConnector(config, nodePublisher(node), logger);
      connectors.push(c);
      await c.start();
      await waitUntil(() => c.state().streaming, 30_000, 'streaming');
      return c;
    };
    try {
      const slotA = `${db.name}_${engine}_a`;
      const slotB = `${db.name}_${engine}_b`;
      const first = await start(slotA, nodes.first);
      // a second slot at the same position: it streams the very same transactions again
      await sql.query(`SELECT pg_copy_logical_replication_slot($1, $2)`, [slotA, slotB]);
      for (let from = 1; from <= ROWS; from += PER_TX) {
        await sql.query(`INSERT INTO ${table} SELECT g, md5(g::text) FROM generate_series($1::int, $2::int) g`, [from, from + PER_TX - 1]);
      }
      const afterInserts = (await sql.query('SELECT pg_current_wal_lsn()::text AS l')).rows[0].l as string;
      await waitUntil(() => accepted.length >= ROWS, 60_000, 'the first stream');
      await first.stop();

      const second = await start(slotB, nodes.second);
      await waitUntil(
        async () => (await sql.query('SELECT $1::pg_lsn >= $2::pg_lsn AS ok', [second.state().confirmedLsn, afterInserts])).rows[0].ok,
        60_000,
        'the second stream to confirm past the inserts',
      );
      expect(second.state().publishedRows).toBe(ROWS); // it did publish everything again...
      await sql.query(`INSERT INTO ${table} VALUES (${ROWS + 1}, 'sentinel')`);
      await waitUntil(() => accepted.includes(ROWS + 1), 30_000, 'the sentinel');

      const expected = Array.from({ length: ROWS + 1 }, (_, i) => i + 1);
      expect(accepted).toEqual(expected); // ...and the engine accepted each row once, in commit order
      const history = await allHistory(nodes.second, CHANNEL);
      expect(history.map(rowIdOf)).toEqual(expected);
      expect(new Set(history.map((m) => m.id)).size).toBe(history.length);
      expect(history.every((m) => /^pg\.[0-9a-f]{16}\.\d+\.[\w-]{10}:\d+$/.test(m.id))).toBe(true);
    } finally {
      for (const c of connectors) await c.stop();
      await nodes.close();
    }
  });
});
