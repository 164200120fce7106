import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuleConfigInput } from './config.js';
import { eventually, messageEvent } from './testing/helpers.js';
import { engineHarness } from './testing/engine-harness.js';

let h: Awaited<ReturnType<typeof engineHarness>>;
const startEngine = (...args: Parameters<typeof h.startEngine>) => h.startEngine(...args);
const logRows = (ruleId: string) => h.logRows(ruleId);
const rowsWhen = (ruleId: string, count: number) => h.rowsWhen(ruleId, count);

beforeAll(async () => {
  h = await engineHarness('rules');
});

afterAll(async () => {
  await h?.close();
});

describe('rules engine: order, retries, restarts, several nodes', () => {
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
        const expected = published.filter((e) => e.channel === channel).flatMap((e) => (e.kind === 'message' ? e.messages.map((m) => m.id) : []));
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
    const first = await startEngine([rule], h.db.url, 200);
    await first.engine.hook(messageEvent('shutdown', [{ name: 'hang' }, { name: 'next' }]));
    await eventually(async () => (first.engine.stats().shutdown?.enqueued === 2 ? true : undefined), 'the enqueue');
    await first.engine.stop(); // returns after the grace period, not after the 60 s timeout
    const { rows } = await h.sql.query(`SELECT item->>'name' AS name, attempts FROM rowcast_rule_queue WHERE rule_id = 'shutdown' ORDER BY seq`);
    expect(rows).toEqual([
      { name: 'hang', attempts: 0 },
      { name: 'next', attempts: 0 },
    ]);
    expect(first.lines.some((l) => l.msg === 'rule delivery failed; will retry')).toBe(false);
    await h.sql.query(`DELETE FROM rowcast_rule_queue WHERE rule_id = 'shutdown' AND item->>'name' = 'hang'`);
    const second = await startEngine([rule]);
    try {
      expect((await rowsWhen('shutdown', 1)).map((r) => r.name)).toEqual(['next']);
    } finally {
      await second.engine.stop();
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
});
