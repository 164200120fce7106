import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { QUEUE_NOTIFY_CHANNEL } from './queue/delivery-leadership.js';
import { eventually, messageEvent } from './testing/helpers.js';
import { engineHarness } from './testing/engine-harness.js';

// How a lane reads the durable queue when it is not the only writer: another node's enqueue that commits late,
// and a completion held up while the lane is asked to read its queue again. Both are driven with a second
// PostgreSQL session holding a transaction or a row lock open, as a slow node would.

let h: Awaited<ReturnType<typeof engineHarness>>;

beforeAll(async () => {
  h = await engineHarness('rules_lanes');
});

afterAll(async () => {
  await h?.close();
});

const recorder = { type: 'function', module: 'recorder-function.mjs' } as const;

/** A session of its own (a pool would hand each statement to any connection). */
async function session(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: h.db.url });
  await client.connect();
  return client;
}

describe('rule lanes on a shared queue', () => {
  it("delivers another node's item that committed after a later one was already delivered", async () => {
    const { engine } = await h.startEngine([{ id: 'late', channelFilter: '^late$', target: recorder }]);
    const other = await session();
    try {
      const early = messageEvent('late', [{ name: 'early' }], 'connB');
      const later = messageEvent('late', [{ name: 'later' }], 'connA');
      if (early.kind !== 'message' || later.kind !== 'message') throw new Error('message events expected');
      // "node B" takes its seq first but has not committed yet ...
      await other.query('BEGIN');
      await other.query(
        `INSERT INTO rowcast_rule_queue (rule_id, channel, source, delivery_id, item)
         VALUES ('late', 'late', 'channel.message', $1, $2)`,
        [early.messages[0].id, JSON.stringify(early.messages[0])],
      );
      // ... while this node enqueues (a higher seq) and delivers
      await engine.hook(later);
      await h.rowsWhen('late', 1);
      // B commits, with the notice its enqueue sends
      await other.query(`SELECT pg_notify($1, $2)`, [
        QUEUE_NOTIFY_CHANNEL,
        JSON.stringify({ node: 'node-b', lanes: [{ ruleId: 'late', channel: 'late' }] }),
      ]);
      await other.query('COMMIT');

      const rows = await h.rowsWhen('late', 2);
      expect(rows.map((r) => r.name)).toEqual(['later', 'early']);
      expect(rows.every((r) => r.deliveries === 1)).toBe(true);
      await eventually(async () => ((await engine.queued()) === 0 ? true : undefined), 'an empty queue');
    } finally {
      await other.end();
      await engine.stop();
    }
  });

  it("delivers another node's committed item before this node's later one, even before its notice arrives", async () => {
    const { engine } = await h.startEngine([{ id: 'order', channelFilter: '^order$', target: recorder }]);
    const other = await session();
    try {
      // the lane is running and takes this node's items in memory
      await engine.hook(messageEvent('order', [{ name: 'warm-up' }], 'connA'));
      await h.rowsWhen('order', 1);
      // "node B" commits an item; its notice is late (sent below, after this node's next publish)
      const foreign = messageEvent('order', [{ name: 'from-b' }], 'connB');
      if (foreign.kind !== 'message') throw new Error('message event expected');
      await other.query(
        `INSERT INTO rowcast_rule_queue (rule_id, channel, source, delivery_id, item) VALUES ('order', 'order', 'channel.message', $1, $2)`,
        [foreign.messages[0].id, JSON.stringify(foreign.messages[0])],
      );
      await engine.hook(messageEvent('order', [{ name: 'after-b' }], 'connA'));
      await h.rowsWhen('order', 3);
      await other.query(`SELECT pg_notify($1, $2)`, [
        QUEUE_NOTIFY_CHANNEL,
        JSON.stringify({ node: 'node-b', lanes: [{ ruleId: 'order', channel: 'order' }] }),
      ]);
      await eventually(async () => ((await engine.queued()) === 0 ? true : undefined), 'an empty queue');
      const rows = await h.logRows('order');
      expect(rows.map((r) => [r.name, r.deliveries])).toEqual([
        ['warm-up', 1],
        ['from-b', 1],
        ['after-b', 1],
      ]);
    } finally {
      await other.end();
      await engine.stop();
    }
  });

  it('hands nothing more over until a delivered item is removed from the queue, and never that item again', async () => {
    // a slow function, so the test can lock the item's queue row while it is being delivered
    const slow = { ...recorder, env: { DELAY_MS: '1500' } }; // ample time to lock the row, even on a busy machine
    const { engine } = await h.startEngine([{ id: 'inflight', channelFilter: '^inflight$', target: slow }]);
    const locker = await session();
    try {
      await engine.hook(messageEvent('inflight', [{ name: 'first' }]));
      // the row is locked, so the completion's DELETE waits behind the lock
      await locker.query('BEGIN');
      const locked = await locker.query(`SELECT seq FROM rowcast_rule_queue WHERE rule_id = 'inflight' FOR UPDATE`);
      expect(locked.rowCount).toBe(1);
      await h.rowsWhen('inflight', 1);
      // another node's notice asks the lane to read its queue from the start, where the first row still is
      await h.sql.query(`SELECT pg_notify($1, $2)`, [
        QUEUE_NOTIFY_CHANNEL,
        JSON.stringify({ node: 'node-b', lanes: [{ ruleId: 'inflight', channel: 'inflight' }] }),
      ]);
      await engine.hook(messageEvent('inflight', [{ name: 'second' }]));
      // while the completion waits, the lane moves on to nothing: a crash now would redeliver only 'first'
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect((await h.logRows('inflight')).map((r) => r.name)).toEqual(['first']);
      await locker.query('COMMIT');

      await eventually(async () => ((await engine.queued()) === 0 ? true : undefined), 'an empty queue');
      const rows = await h.logRows('inflight');
      expect(rows.map((r) => [r.name, r.deliveries])).toEqual([
        ['first', 1],
        ['second', 1],
      ]);
    } finally {
      await locker.end().catch(() => undefined);
      await engine.stop();
    }
  });
});
