import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createBatchCalls, eventually, messageEvent } from './testing/helpers.js';
import { engineHarness } from './testing/engine-harness.js';

// A lane gets the messages its node accepts at once, while their enqueue commits (RuleLane.offer). The enqueue is
// held back here by a second session that locks the queue table in SHARE mode: INSERTs (and DELETEs) wait for it,
// reads do not.

let h: Awaited<ReturnType<typeof engineHarness>>;

beforeAll(async () => {
  h = await engineHarness('rules_handover');
  await createBatchCalls(h.sql);
});

afterAll(async () => {
  await h?.close();
});

const recorder = { type: 'function', module: 'recorder-function.mjs' } as const;

/** A session holding the queue table in SHARE mode until `release`. */
async function holdQueueInserts(): Promise<{ release: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: h.db.url });
  await client.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE rowcast_rule_queue IN SHARE MODE');
  let released: Promise<void> | undefined;
  return {
    release: () =>
      (released ??= (async () => {
        await client.query('COMMIT');
        await client.end();
      })()),
  };
}

/** The backend of the queue INSERT waiting behind the lock. */
function blockedInsert(): Promise<number> {
  return eventually(async () => {
    const { rows } = await h.sql.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO rowcast_rule_queue%'`,
    );
    return rows[0]?.pid;
  }, 'a queue INSERT waiting for its lock');
}

describe('hand-over of accepted messages while their enqueue commits', () => {
  it('delivers a message while its enqueue still waits, acknowledges it once stored, and delivers it once', async () => {
    const { engine } = await h.startEngine([{ id: 'early', channelFilter: '^early$', target: recorder }]);
    const lock = await holdQueueInserts();
    try {
      let acknowledged = false;
      const publish = Promise.resolve(engine.hook(messageEvent('early', [{ name: 'm1' }]))).then(() => {
        acknowledged = true;
      });
      await blockedInsert();
      expect((await h.rowsWhen('early', 1)).map((r) => r.name)).toEqual(['m1']);
      expect(acknowledged).toBe(false);
      await lock.release();
      await publish;
      await eventually(async () => ((await engine.queued()) === 0 ? true : undefined), 'an empty queue');
      expect((await h.logRows('early')).map((r) => [r.name, r.deliveries])).toEqual([['m1', 1]]);
      expect(engine.stats().early).toMatchObject({ enqueued: 1, delivered: 1 });
    } finally {
      await lock.release();
      await engine.stop();
    }
  });

  it('drops a message whose enqueue failed before the lane handed it over: its publish is refused', async () => {
    // a slow function keeps the lane busy with the first message while the second one's enqueue fails
    const slow = { ...recorder, env: { DELAY_MS: '1500' } };
    const { engine } = await h.startEngine([{ id: 'refused', channelFilter: '^refused$', target: slow }]);
    let lock: Awaited<ReturnType<typeof holdQueueInserts>> | undefined;
    try {
      await engine.hook(messageEvent('refused', [{ name: 'first' }]));
      lock = await holdQueueInserts();
      const second = Promise.resolve(engine.hook(messageEvent('refused', [{ name: 'second' }])));
      const outcome = second.then(
        () => 'acknowledged',
        (err: { code?: number }) => err.code,
      );
      await h.sql.query('SELECT pg_cancel_backend($1)', [await blockedInsert()]);
      expect(await outcome).toBe(50000);
      await lock.release();

      await eventually(async () => ((await engine.queued()) === 0 ? true : undefined), 'an empty queue');
      // the lane moved on from 'first' (its completion waited for the lock); stopping waits for any delivery
      // still in flight, so a hand-over of 'second' would show below
      await engine.stop();
      expect((await h.logRows('refused')).map((r) => [r.name, r.deliveries])).toEqual([['first', 1]]);
    } finally {
      await lock?.release();
      await engine.stop();
    }
  });

  it('keeps a backlog larger than it holds in memory in order, each message once', async () => {
    // a slow batched function: messages pile up far beyond what a lane keeps in memory (1,000), so later ones are
    // read back from the queue, and the lane returns to taking them in memory once it caught up
    const slowBatches = { type: 'function', module: 'batch-recorder-function.mjs', env: { DELAY_MS: '150' } } as const;
    const { engine } = await h.startEngine([{ id: 'backlog', channelFilter: '^backlog$', batch: { maxMessages: 100 }, target: slowBatches }]);
    try {
      const expected: string[] = [];
      for (let burst = 0; burst < 10; burst++) {
        const events = Array.from({ length: 250 }, (_, i) => messageEvent('backlog', [{ name: `m${burst * 250 + i}` }]));
        for (const event of events) if (event.kind === 'message') expected.push(event.messages[0].id);
        await Promise.all(events.map((event) => engine.hook(event)));
      }
      // and a straggler once the lane is idle again
      await eventually(async () => ((await engine.queued()) === 0 ? true : undefined), 'an empty queue', 60_000);
      const last = messageEvent('backlog', [{ name: 'last' }]);
      if (last.kind === 'message') expected.push(last.messages[0].id);
      await engine.hook(last);

      const rows = await eventually(
        async () => {
          const applied = await h.logRows('backlog');
          return applied.length >= expected.length ? applied : undefined;
        },
        'every message applied',
        60_000,
      );
      expect(rows.map((r) => r.delivery_id)).toEqual(expected);
      expect(rows.every((r) => r.deliveries === 1)).toBe(true);
    } finally {
      await engine.stop();
    }
  }, 120_000);
});
