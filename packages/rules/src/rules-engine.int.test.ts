import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { rulesSectionSchema, type RuleConfigInput } from './config.js';
import { RulesEngine } from './rules-engine.js';
import { capturingLogger, createRuleLog, eventually, messageEvent } from './testing/helpers.js';

const fixtures = fileURLToPath(new URL('../test-fixtures/', import.meta.url));

let db: TestDatabase;
let sql: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase('rules');
  await createRuleLog(db.url);
  sql = new pg.Pool({ connectionString: db.url, max: 2 });
});

afterAll(async () => {
  await sql?.end();
  await db?.drop();
});

async function startEngine(rules: RuleConfigInput[], databaseUrl: string | undefined = db.url, stopGraceMs = 5_000) {
  const { logger, lines } = capturingLogger();
  const engine = await RulesEngine.start({
    rules: rulesSectionSchema.parse(rules),
    logger,
    baseDir: fixtures,
    databaseUrl,
    appId: 'app1',
    site: 'test-site',
    resolveSigningKey: () => undefined,
    functionEnv: { DATABASE_URL: db.url },
    stopGraceMs,
  });
  return { engine, lines };
}

async function logRows(ruleId: string) {
  const { rows } = await sql.query<{ delivery_id: string; channel: string; name: string; deliveries: number; envelope: any }>(
    `SELECT delivery_id, channel, name, deliveries, envelope FROM rule_log WHERE rule_id = $1 ORDER BY applied`,
    [ruleId],
  );
  return rows;
}

async function rowsWhen(ruleId: string, count: number) {
  return eventually(async () => {
    const rows = await logRows(ruleId);
    return rows.length >= count ? rows : undefined;
  }, `${count} deliveries for ${ruleId}`);
}

describe('rules engine with a function target and the PostgreSQL queue', () => {
  it('delivers the Ably envelope in publish order per channel; unmatched channels cost nothing', async () => {
    const { engine } = await startEngine([
      { id: 'envelope', channelFilter: '^orders:', target: { type: 'function', module: 'recorder-function.mjs' } },
    ]);
    try {
      const published = [];
      for (let i = 0; i < 20; i++) {
        const event = messageEvent(`orders:${i % 3}`, [
          { name: 'obj', data: '{"n":' + i + '}', encoding: 'json' },
          { name: 'bin', data: new Uint8Array([i, 255]) },
        ]);
        published.push(event);
        await engine.hook(event);
      }
      // a channel no rule matches is skipped synchronously: no promise, nothing queued
      expect(engine.hook(messageEvent('other', [{ name: 'x', data: 'y' }]))).toBeUndefined();

      const rows = await rowsWhen('envelope', 40);
      expect(rows).toHaveLength(40);
      for (const channel of ['orders:0', 'orders:1', 'orders:2']) {
        const expected = published
          .filter((e) => e.channel === channel)
          .flatMap((e) => (e.kind === 'message' ? e.messages.map((m) => m.id) : []));
        expect(rows.filter((r) => r.channel === channel).map((r) => r.delivery_id)).toEqual(expected);
      }
      const first = published[0].kind === 'message' ? published[0].messages : [];
      const byId = new Map(rows.map((r) => [r.delivery_id, r.envelope]));
      expect(byId.get(first[0].id)).toEqual({
        source: 'channel.message',
        appId: 'app1',
        channel: 'orders:0',
        site: 'test-site',
        ruleId: 'envelope',
        messages: [
          {
            id: first[0].id,
            clientId: 'tester',
            connectionId: 'conn1',
            timestamp: first[0].timestamp,
            name: 'obj',
            data: '{"n":0}',
            encoding: 'json',
          },
        ],
      });
      expect(byId.get(first[1].id).messages[0]).toMatchObject({ name: 'bin', data: Buffer.from([0, 255]).toString('base64'), encoding: 'base64' });
      expect(rows.every((r) => r.deliveries === 1)).toBe(true);
      // the function's write lands just before the queue row is removed and the delivery counted
      await eventually(async () => ((await engine.queued()) === 0 ? true : undefined), 'an empty queue');
      expect(engine.stats().envelope).toMatchObject({ enqueued: 40, delivered: 40, failedAttempts: 0 });
    } finally {
      await engine.stop();
    }
  });

  it('retries a function that fails twice: each message applied once, order kept, retries in the log (module state kept)', async () => {
    const { engine, lines } = await startEngine([
      {
        id: 'flaky',
        channelFilter: '^flaky$',
        target: { type: 'function', module: 'recorder-function.mjs', env: { FAIL_FIRST: '2' } },
        retry: { attempts: 5, backoffBaseMs: 10, backoffMaxMs: 50 },
      },
    ]);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const event = messageEvent('flaky', [{ name: `m${i}`, data: String(i) }]);
        if (event.kind === 'message') ids.push(event.messages[0].id);
        await engine.hook(event);
      }
      const rows = await rowsWhen('flaky', 10);
      // the function's write is visible a moment before the server has its answer: wait for the queue to drain
      await eventually(async () => ((await engine.queued()) === 0 ? true : undefined), 'an empty queue');
      expect(rows.map((r) => r.delivery_id)).toEqual(ids);
      expect(rows.every((r) => r.deliveries === 1)).toBe(true);
      const retries = lines.filter((l) => l.msg === 'rule delivery failed; will retry');
      expect(retries).toHaveLength(20);
      expect(retries[0]).toMatchObject({ rule: 'flaky', channel: 'flaky', deliveryId: ids[0], attempt: 1 });
      expect(String(retries[0].err)).toContain('planned failure 1 of 2');
      expect(lines.filter((l) => l.msg === 'rule delivery succeeded after retry')).toHaveLength(10);
      expect(engine.stats().flaky).toMatchObject({ delivered: 10, failedAttempts: 20, deadLettered: 0 });
    } finally {
      await engine.stop();
    }
  });

  it('survives functions that hang, throw or leave rejections behind; gives up into dead letters', async () => {
    const { engine, lines } = await startEngine([
      {
        id: 'bad',
        channelFilter: '^bad:',
        target: { type: 'function', module: 'misbehaving-function.mjs', timeoutMs: 300 },
        retry: { attempts: 2, backoffBaseMs: 10, backoffMaxMs: 10 },
      },
    ]);
    try {
      for (const name of ['hang', 'throw', 'reject-later']) await engine.hook(messageEvent(`bad:${name}`, [{ name }]));
      await engine.hook(messageEvent('bad:hang', [{ name: 'after-hang' }]));

      const rows = await rowsWhen('bad', 2);
      expect(rows.map((r) => r.name).sort()).toEqual(['after-hang', 'reject-later']);
      const dead = await eventually(async () => {
        const letters = (await engine.deadLetters()).filter((d) => d.ruleId === 'bad');
        return letters.length >= 2 ? letters : undefined;
      }, 'two dead letters');
      const reasons = Object.fromEntries(dead.map((d) => [(d.item as { name: string }).name, d.lastError]));
      expect(reasons).toEqual({ hang: 'function timed out after 300 ms', throw: 'function threw TypeError: thrown on purpose' });
      expect(dead.every((d) => d.attempts === 2)).toBe(true);
      // a hung promise leaves the worker responsive: it is kept (and its module state with it)
      expect(lines.some((l) => l.msg === 'function worker does not respond after a timeout; replacing it')).toBe(false);
      expect(lines.filter((l) => l.msg === 'rule delivery failed for the last time; moved to dead letters')).toHaveLength(2);
      expect(lines.some((l) => String(l.msg).includes('stray rejection on purpose'))).toBe(true);
      const { rows: table } = await sql.query(`SELECT count(*)::int AS n FROM rowcast_rule_dead_letters WHERE rule_id = 'bad'`);
      expect(table[0].n).toBe(2);
    } finally {
      await engine.stop();
    }
  });

  it('replaces a worker stuck in a busy loop; the next message on the channel is delivered', async () => {
    const { engine, lines } = await startEngine([
      {
        id: 'spin',
        channelFilter: '^spin$',
        target: { type: 'function', module: 'misbehaving-function.mjs', timeoutMs: 300 },
        retry: { attempts: 2, backoffBaseMs: 10, backoffMaxMs: 10 },
      },
    ]);
    try {
      await engine.hook(messageEvent('spin', [{ name: 'spin' }, { name: 'after-spin' }]));
      const rows = await rowsWhen('spin', 1);
      expect(rows.map((r) => r.name)).toEqual(['after-spin']);
      const [dead] = (await engine.deadLetters()).filter((d) => d.ruleId === 'spin');
      expect(dead).toMatchObject({ attempts: 2, lastError: 'function timed out after 300 ms' });
      expect(lines.filter((l) => l.msg === 'function worker does not respond after a timeout; replacing it')).toHaveLength(2);
    } finally {
      await engine.stop();
    }
  });

  it('restarts a function that runs out of memory; the server and the next message are fine', async () => {
    const { engine, lines } = await startEngine([
      {
        id: 'hog',
        channelFilter: '^hog$',
        target: { type: 'function', module: 'misbehaving-function.mjs', memoryMb: 32 },
        retry: { attempts: 1 },
      },
    ]);
    try {
      await engine.hook(messageEvent('hog', [{ name: 'hog' }, { name: 'after-hog' }]));
      const rows = await rowsWhen('hog', 1);
      expect(rows.map((r) => r.name)).toEqual(['after-hog']);
      const [dead] = (await engine.deadLetters()).filter((d) => d.ruleId === 'hog');
      expect(dead.lastError).toMatch(/function worker crashed: .*memory/i);
      expect(lines.some((l) => l.msg === 'rule delivery failed for the last time; moved to dead letters')).toBe(true);
    } finally {
      await engine.stop();
    }
  });

  it('runs CommonJS handlers in the callback style', async () => {
    const { engine } = await startEngine([
      {
        id: 'callback',
        channelFilter: '^cb$',
        target: { type: 'function', module: 'callback-function.cjs' },
        retry: { attempts: 1 },
      },
    ]);
    try {
      await engine.hook(messageEvent('cb', [{ name: 'fail' }, { name: 'works', data: 'x' }]));
      const rows = await rowsWhen('callback', 1);
      expect(rows.map((r) => r.name)).toEqual(['works']);
      const dead = await eventually(async () => ((await engine.deadLetters()).some((d) => d.ruleId === 'callback') ? true : undefined), 'a dead letter');
      expect(dead).toBe(true);
    } finally {
      await engine.stop();
    }
  });

  it('delivers what a stopped engine left queued when a new one starts on the same database', async () => {
    const rule: RuleConfigInput = {
      id: 'resume',
      channelFilter: '^resume:',
      target: { type: 'function', module: 'recorder-function.mjs', env: { DELAY_MS: '30' } },
    };
    const first = await startEngine([rule]);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const event = messageEvent(`resume:${i % 2}`, [{ name: `r${i}`, data: String(i) }]);
      if (event.kind === 'message') ids.push(event.messages[0].id);
      await first.engine.hook(event);
    }
    await first.engine.stop();
    const before = await logRows('resume');
    expect(before.length).toBeLessThan(40);

    const second = await startEngine([rule]);
    try {
      const rows = await rowsWhen('resume', 40);
      expect(rows).toHaveLength(40);
      for (const channel of ['resume:0', 'resume:1']) {
        const expected = ids.filter((_, i) => `resume:${i % 2}` === channel);
        expect(rows.filter((r) => r.channel === channel).map((r) => r.delivery_id)).toEqual(expected);
      }
      expect(rows.every((r) => r.deliveries === 1)).toBe(true);
    } finally {
      await second.engine.stop();
    }
  });

  it('cuts a hung delivery short on stop without counting it as an attempt; it is delivered after a restart', async () => {
    const rule: RuleConfigInput = {
      id: 'shutdown',
      channelFilter: '^shutdown$',
      target: { type: 'function', module: 'misbehaving-function.mjs', timeoutMs: 60_000 },
    };
    const first = await startEngine([rule], db.url, 200);
    await first.engine.hook(messageEvent('shutdown', [{ name: 'hang' }, { name: 'next' }]));
    await eventually(async () => (first.engine.stats().shutdown?.enqueued === 2 ? true : undefined), 'the enqueue');
    await first.engine.stop(); // returns after the grace period, not after the 60 s timeout
    const { rows } = await sql.query(
      `SELECT item->>'name' AS name, attempts FROM rowcast_rule_queue WHERE rule_id = 'shutdown' ORDER BY seq`,
    );
    expect(rows).toEqual([
      { name: 'hang', attempts: 0 },
      { name: 'next', attempts: 0 },
    ]);
    expect(first.lines.some((l) => l.msg === 'rule delivery failed; will retry')).toBe(false);
    await sql.query(`DELETE FROM rowcast_rule_queue WHERE rule_id = 'shutdown' AND item->>'name' = 'hang'`);
    const second = await startEngine([rule]);
    try {
      expect((await rowsWhen('shutdown', 1)).map((r) => r.name)).toEqual(['next']);
    } finally {
      await second.engine.stop();
    }
  });

  it('hands a non-enveloped function the bare data: objects parsed, binary as a Buffer, text as is', async () => {
    const { engine } = await startEngine([
      { id: 'bare', channelFilter: '^bare$', enveloped: false, target: { type: 'function', module: 'bare-function.mjs' } },
    ]);
    try {
      await engine.hook(
        messageEvent('bare', [
          { name: 'obj', data: '{"a":[1,2]}', encoding: 'json' },
          { name: 'bin', data: new Uint8Array([0, 7, 255]) },
          { name: 'txt', data: 'hello' },
        ]),
      );
      const rows = await rowsWhen('bare', 3);
      expect(rows.map((r) => r.envelope)).toEqual([
        { kind: 'object', value: { a: [1, 2] } },
        { kind: 'buffer', bytes: [0, 7, 255] },
        { kind: 'string', value: 'hello' },
      ]);
    } finally {
      await engine.stop();
    }
  });

  it('with two nodes on one database, one delivers what both accept; the other takes over when it stops', async () => {
    const rule: RuleConfigInput = { id: 'cluster', channelFilter: '^cluster:', target: { type: 'function', module: 'recorder-function.mjs' } };
    const a = await startEngine([rule]);
    const b = await startEngine([rule]);
    try {
      expect(a.lines.some((l) => l.msg === 'this node delivers rule events')).toBe(true);
      expect(b.lines.some((l) => l.msg === 'this node delivers rule events')).toBe(false);
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const event = messageEvent('cluster:x', [{ name: `c${i}` }], i % 2 ? 'connA' : 'connB');
        if (event.kind === 'message') ids.push(event.messages[0].id);
        await (i % 2 ? a : b).engine.hook(event);
      }
      const rows = await rowsWhen('cluster', 20);
      expect(rows.map((r) => r.delivery_id)).toEqual(ids);
      await eventually(async () => ((await a.engine.queued()) === 0 ? true : undefined), 'an empty queue');
      expect(a.engine.stats().cluster).toMatchObject({ enqueued: 10, delivered: 20 });
      expect(b.engine.stats().cluster).toMatchObject({ enqueued: 10 });
      expect(b.engine.stats().cluster.delivered).toBe(0);

      await a.engine.stop();
      await b.engine.hook(messageEvent('cluster:y', [{ name: 'after-failover' }]));
      const after = await rowsWhen('cluster', 21);
      expect(after[20].name).toBe('after-failover');
      expect(b.lines.some((l) => l.msg === 'this node delivers rule events')).toBe(true);
      expect(after.every((r) => r.deliveries === 1)).toBe(true);
    } finally {
      await a.engine.stop();
      await b.engine.stop();
    }
  });

  it('uses an in-memory queue when no database is configured', async () => {
    const { engine } = await startEngine(
      [{ id: 'memory', channelFilter: '^mem$', target: { type: 'function', module: 'recorder-function.mjs' } }],
      undefined,
    );
    try {
      await engine.hook(messageEvent('mem', [{ name: 'a' }, { name: 'b' }]));
      const rows = await rowsWhen('memory', 2);
      expect(rows.map((r) => r.name)).toEqual(['a', 'b']);
    } finally {
      await engine.stop();
    }
  });

  it('refuses to start when a function module is missing', async () => {
    await expect(
      startEngine([{ id: 'missing', channelFilter: 'x', target: { type: 'function', module: 'nope.mjs' } }]),
    ).rejects.toThrow(/rule "missing": function module .*nope\.mjs does not exist/);
  });
});
