import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import * as Ably from 'ably';
import pg from 'pg';
import { spawnRowcast, type SpawnedRowcast } from '../support/rowcast.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { createRuleLog } from '../../packages/rules/src/testing/helpers.ts';

/**
 * A function that fails twice for every message, then succeeds, behind a real `rowcast start` process: each
 * message is applied once, in publish order, and every failed attempt is a line in Rowcast's log.
 */

const recorder = fileURLToPath(new URL('../../packages/rules/test-fixtures/recorder-function.mjs', import.meta.url));
const MESSAGES = 10;
/** Unique per run: in CI's Redis run, spawned servers of other test files share the cluster's channels. */
const CHANNEL = `jobs-${process.pid}-${Date.now()}`;

let db: TestDatabase;
let sql: pg.Pool;
let rowcast: SpawnedRowcast;

beforeAll(async () => {
  db = await createTestDatabase('rules_retry');
  sql = new pg.Pool({ connectionString: db.url, max: 2 });
  await createRuleLog(db.url);
  rowcast = await spawnRowcast(
    {
      database: { url: db.url },
      rules: [
        {
          id: 'fails-twice',
          channelFilter: `^${CHANNEL}$`,
          target: { type: 'function', module: recorder, env: { FAIL_FIRST: '2' } },
          retry: { attempts: 4, backoffBaseMs: 20, backoffMaxMs: 100 },
        },
      ],
    },
    { env: { DATABASE_URL: db.url } },
  ); // DATABASE_URL overrides the config's database: keep it this test's
});

afterAll(async () => {
  await rowcast?.stop();
  await sql?.end();
  await db?.drop();
});

describe('a function that fails twice, then succeeds', () => {
  it('applies each message once, in order, and logs every retry', async () => {
    const client = new Ably.Realtime({ key: rowcast.keys.full, clientId: 'worker', endpoint: '127.0.0.1', port: rowcast.port, tls: false });
    const seen: Ably.Message[] = [];
    try {
      const channel = client.channels.get(CHANNEL);
      await channel.subscribe((m) => void seen.push(m));
      for (let i = 0; i < MESSAGES; i++) await channel.publish(`job${i}`, { i });

      const deadline = Date.now() + 30_000;
      let rows: Array<{ delivery_id: string; name: string; deliveries: number; attempt_seen: number }> = [];
      while (rows.length < MESSAGES && Date.now() < deadline) {
        await new Promise((ok) => setTimeout(ok, 50));
        ({ rows } = await sql.query(`SELECT delivery_id, name, deliveries, attempt_seen FROM rule_log ORDER BY applied`));
      }
      expect(rows.map((r) => r.name)).toEqual(Array.from({ length: MESSAGES }, (_, i) => `job${i}`));
      expect(rows.map((r) => r.delivery_id)).toEqual(seen.map((m) => m.id));
      expect(rows.every((r) => r.deliveries === 1 && r.attempt_seen === 3)).toBe(true);
    } finally {
      client.close();
    }

    const parse = () =>
      rowcast
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    // the function's row is visible a moment before the server has its answer (and logs it): wait for the log
    const deadline = Date.now() + 10_000;
    while (parse().filter((l) => l.msg === 'rule delivery succeeded after retry').length < MESSAGES && Date.now() < deadline) {
      await new Promise((ok) => setTimeout(ok, 50));
    }
    const log = parse();
    const retries = log.filter((l) => l.msg === 'rule delivery failed; will retry');
    expect(retries).toHaveLength(2 * MESSAGES);
    for (const message of seen) {
      const mine = retries.filter((l) => l.deliveryId === message.id);
      expect(mine.map((l) => l.attempt)).toEqual([1, 2]);
      expect(mine[0]).toMatchObject({ rule: 'fails-twice', channel: CHANNEL, err: expect.stringContaining(`planned failure 1 of 2`) });
    }
    expect(log.filter((l) => l.msg === 'rule delivery succeeded after retry')).toHaveLength(MESSAGES);
  });
});
