import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcceptedEvent } from '@rowcast/core';
import { createBatchCalls, eventually, messageEvent } from './testing/helpers.js';
import { engineHarness } from './testing/engine-harness.js';

let h: Awaited<ReturnType<typeof engineHarness>>;

beforeAll(async () => {
  h = await engineHarness('rules_batch');
  await createBatchCalls(h.sql);
});

afterAll(async () => {
  await h?.close();
});

interface CallRow {
  call: number;
  attempt: number;
  ids: string[];
}

/** The calls the batch recorder function saw for a rule, in call order. */
async function calls(ruleId: string): Promise<CallRow[]> {
  const { rows } = await h.sql.query<CallRow>(`SELECT call, attempt, ids FROM batch_calls WHERE rule_id = $1 ORDER BY call`, [ruleId]);
  return rows;
}

const ids = (events: AcceptedEvent[]) => events.flatMap((e) => (e.kind === 'message' ? e.messages.map((m) => m.id) : []));

const slowFunction = { type: 'function', module: 'batch-recorder-function.mjs', env: { DELAY_MS: '100' } } as const;

describe('rules engine: batched deliveries (batch.maxMessages)', () => {
  it('hands a slow function what queued up meanwhile in one envelope, in order, once each; unbatched rules get one message per call', async () => {
    const { engine } = await h.startEngine([
      { id: 'batched', channelFilter: '^burst$', batch: { maxMessages: 10 }, target: slowFunction },
      { id: 'single', channelFilter: '^burst$', target: slowFunction },
    ]);
    try {
      const published: AcceptedEvent[] = [];
      for (let i = 0; i < 30; i++) {
        const event = messageEvent('burst', [{ name: `m${i}`, data: String(i) }]);
        published.push(event);
        await engine.hook(event);
      }
      const expected = ids(published);

      const batchedRows = await h.rowsWhen('batched', expected.length);
      expect(batchedRows.map((r) => r.delivery_id)).toEqual(expected);
      expect(batchedRows.every((r) => r.deliveries === 1)).toBe(true);
      const batchedCalls = await calls('batched');
      // every message in exactly one call, calls in publish order, none over the limit, and fewer calls than messages
      expect(batchedCalls.flatMap((c) => c.ids)).toEqual(expected);
      expect(batchedCalls.every((c) => c.ids.length >= 1 && c.ids.length <= 10)).toBe(true);
      expect(batchedCalls.length).toBeLessThan(expected.length);
      // the envelope's messages[] really carried several messages
      expect(Math.max(...batchedRows.map((r) => r.envelope.size))).toBeGreaterThan(1);

      const singleRows = await h.rowsWhen('single', expected.length);
      expect(singleRows.map((r) => r.delivery_id)).toEqual(expected);
      const singleCalls = await calls('single');
      expect(singleCalls.map((c) => c.ids)).toEqual(expected.map((id) => [id]));

      await eventually(async () => ((await engine.queued()) === 0 ? true : undefined), 'an empty queue');
      expect(engine.stats().batched).toMatchObject({ enqueued: 30, delivered: 30, failedAttempts: 0 });
    } finally {
      await engine.stop();
    }
  });

  it('retries a failed batch as the same batch in the same order, and dead-letters every item of a batch that never succeeds', async () => {
    const { engine } = await h.startEngine([
      {
        id: 'retried',
        channelFilter: '^retry$',
        batch: { maxMessages: 100 },
        retry: { attempts: 5, backoffBaseMs: 50, backoffMaxMs: 50 },
        target: { type: 'function', module: 'batch-recorder-function.mjs', env: { FAIL_FIRST_CALLS: '2' } },
      },
      {
        id: 'doomed',
        channelFilter: '^retry$',
        batch: { maxMessages: 100 },
        retry: { attempts: 2, backoffBaseMs: 50, backoffMaxMs: 50 },
        target: { type: 'function', module: 'batch-recorder-function.mjs', env: { FAIL_FIRST_CALLS: '1000' } },
      },
    ]);
    try {
      // one publish of five messages: queued together, so the lane's first page holds all five
      const event = messageEvent(
        'retry',
        [1, 2, 3, 4, 5].map((n) => ({ name: `r${n}`, data: String(n) })),
      );
      await engine.hook(event);
      const expected = ids([event]);

      const rows = await h.rowsWhen('retried', expected.length);
      expect(rows.map((r) => r.delivery_id)).toEqual(expected);
      expect(rows.every((r) => r.deliveries === 1)).toBe(true);
      expect(await calls('retried')).toEqual([
        { call: 1, attempt: 1, ids: expected },
        { call: 2, attempt: 2, ids: expected },
        { call: 3, attempt: 3, ids: expected },
      ]);

      const dead = await eventually(async () => {
        const letters = (await engine.deadLetters()).filter((d) => d.ruleId === 'doomed');
        return letters.length >= expected.length ? letters : undefined;
      }, 'the doomed batch in the dead letters');
      expect(dead.map((d) => d.deliveryId).sort()).toEqual([...expected].sort());
      expect(dead.every((d) => d.attempts === 2 && /planned failure/.test(d.lastError ?? ''))).toBe(true);
      expect((await calls('doomed')).map((c) => c.ids)).toEqual([expected, expected]);
      expect(engine.stats().doomed).toMatchObject({ deadLettered: 5, failedAttempts: 2, delivered: 0 });
    } finally {
      await engine.stop();
    }
  });
});
