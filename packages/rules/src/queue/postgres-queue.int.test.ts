import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { pino } from 'pino';
import { createTestDatabase, type TestDatabase } from '@rowcast/test-support/database';
import { PostgresDeliveryQueue } from './postgres-queue.js';
import { MemoryDeliveryQueue } from './memory-queue.js';
import { GroupCommit } from './group-commit.js';
import type { DeliveryQueue, NewDelivery } from './delivery-queue.js';

let db: TestDatabase;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  db = await createTestDatabase('rules_queue');
});
afterAll(async () => {
  await db?.drop();
});

const delivery = (channel: string, n: number, ruleId = 'r'): NewDelivery => ({
  ruleId,
  channel,
  source: 'channel.message',
  deliveryId: `${channel}:${n}`,
  item: { id: `${channel}:${n}`, timestamp: n, name: `m${n}`, data: `payload ${n}` },
});

describe('group commit', () => {
  it('writes what was added in one turn in one flush, and what arrives during a flush in the next, in order', async () => {
    const flushes: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const group = new GroupCommit<number>(async (items) => {
      flushes.push(items);
      if (flushes.length === 1) await gate;
    });
    const first = [group.add([1]), group.add([2, 3]), group.add([4])];
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    // the first flush is in flight (held by the gate): these wait for the next one
    const second = [group.add([5]), group.add([6])];
    expect(flushes).toEqual([[1, 2, 3, 4]]);
    release();
    await Promise.all([...first, ...second]);
    expect(flushes).toEqual([
      [1, 2, 3, 4],
      [5, 6],
    ]);
  });

  it('splits a burst into bounded flushes without splitting an add or reordering', async () => {
    const flushes: number[][] = [];
    const group = new GroupCommit<number>(async (items) => void flushes.push(items), 3);
    await Promise.all([group.add([1, 2]), group.add([3]), group.add([4, 5, 6, 7]), group.add([8])]);
    expect(flushes).toEqual([[1, 2, 3], [4, 5, 6, 7], [8]]);
  });

  it('rejects every add of a failed flush and keeps going', async () => {
    let fail = true;
    const group = new GroupCommit<number>(async () => {
      if (fail) throw new Error('db down');
    });
    await expect(Promise.all([group.add([1]), group.add([2])])).rejects.toThrow('db down');
    fail = false;
    await expect(group.add([3])).resolves.toEqual([]);
  });

  it("resolves each add with the flush's results for its own items", async () => {
    const group = new GroupCommit<number, string>(async (items) => items.map((n) => `r${n}`));
    const results = await Promise.all([group.add([1, 2]), group.add([3]), group.add([4, 5])]);
    expect(results).toEqual([['r1', 'r2'], ['r3'], ['r4', 'r5']]);
  });
});

describe.each([
  ['PostgreSQL', () => PostgresDeliveryQueue.open(db.url, logger)],
  ['memory', async () => new MemoryDeliveryQueue()],
])('%s delivery queue', (_, open: () => Promise<DeliveryQueue>) => {
  it('pages a lane in enqueue order, across concurrent batches', async () => {
    const queue = await open();
    try {
      // 20 publishes in the same turn (one INSERT for the PostgreSQL queue), interleaving two channels
      const seqs = await Promise.all(Array.from({ length: 20 }, (_, i) => queue.enqueue([delivery(`q${i % 2}`, i), delivery(`q${i % 2}`, i + 100)])));
      const lane = await queue.page({ ruleId: 'r', channel: 'q0' }, 0, 100);
      // each enqueue resolves with its own items' seqs, in their order
      const idOf = new Map([...lane, ...(await queue.page({ ruleId: 'r', channel: 'q1' }, 0, 100))].map((d) => [d.seq, d.deliveryId]));
      expect(seqs.map((pair) => pair.map((seq) => idOf.get(seq)))).toEqual(
        Array.from({ length: 20 }, (_, i) => [`q${i % 2}:${i}`, `q${i % 2}:${i + 100}`]),
      );
      expect(lane.map((d) => d.deliveryId)).toEqual(Array.from({ length: 10 }, (_, k) => 2 * k).flatMap((i) => [`q0:${i}`, `q0:${i + 100}`]));
      expect(lane[0]).toMatchObject({
        ruleId: 'r',
        channel: 'q0',
        source: 'channel.message',
        attempts: 0,
        notBefore: 0,
        item: delivery('q0', 0).item,
      });
      const after = await queue.page({ ruleId: 'r', channel: 'q0' }, lane[4].seq, 3);
      expect(after.map((d) => d.deliveryId)).toEqual(lane.slice(5, 8).map((d) => d.deliveryId));
      expect((await queue.lanes()).map((l) => l.channel).sort()).toEqual(['q0', 'q1']);
      expect(await queue.size()).toBe(40);

      for (const d of [...lane, ...(await queue.page({ ruleId: 'r', channel: 'q1' }, 0, 100))]) await queue.complete(d.seq);
      expect(await queue.size()).toBe(0);
      expect(await queue.lanes()).toEqual([]);
    } finally {
      await queue.close();
    }
  });

  it('removes delivered items and returns the next page without them in one call, from the start too', async () => {
    const queue = await open();
    try {
      const lane = { ruleId: 'r', channel: 'cp' };
      await queue.enqueue([1, 2, 3, 4, 5].map((n) => delivery('cp', n)));
      const [a, b, c] = await queue.page(lane, 0, 100);
      const next = await queue.completeAndPage([a.seq, b.seq], lane, b.seq, 2);
      expect(next.map((d) => d.deliveryId)).toEqual(['cp:3', 'cp:4']);
      // read from the lane's start: what was just removed is not in the page either
      expect((await queue.completeAndPage([c.seq], lane, 0, 100)).map((d) => d.deliveryId)).toEqual(['cp:4', 'cp:5']);
      expect(await queue.size()).toBe(2);
      // nothing delivered: a plain read
      expect((await queue.completeAndPage([], lane, 0, 1)).map((d) => d.deliveryId)).toEqual(['cp:4']);
      for (const d of await queue.page(lane, 0, 100)) await queue.complete(d.seq);
    } finally {
      await queue.close();
    }
  });
  it('records failures and moves given-up items to the dead letters', async () => {
    const queue = await open();
    try {
      await queue.enqueue([delivery('dl', 1), delivery('dl', 2)]);
      const [first] = await queue.page({ ruleId: 'r', channel: 'dl' }, 0, 10);
      const retryAt = Date.now() + 60_000;
      await queue.recordFailure(first.seq, 1, 'boom', retryAt);
      const [again] = await queue.page({ ruleId: 'r', channel: 'dl' }, 0, 1);
      expect(again).toMatchObject({ attempts: 1, lastError: 'boom', notBefore: retryAt });
      await queue.deadLetter(first.seq, 3, 'boom for good');
      expect((await queue.page({ ruleId: 'r', channel: 'dl' }, 0, 10)).map((d) => d.deliveryId)).toEqual(['dl:2']);
      const [dead] = (await queue.deadLetters()).filter((d) => d.channel === 'dl');
      expect(dead).toMatchObject({ deliveryId: 'dl:1', attempts: 3, lastError: 'boom for good', item: delivery('dl', 1).item });
      expect(dead.failedAt).toBeGreaterThan(0);

      // requeued at the end of the lane with fresh attempts; other dead letters stay
      await queue.enqueue([delivery('dl', 3)]);
      const [second] = await queue.page({ ruleId: 'r', channel: 'dl' }, 0, 1);
      await queue.deadLetter(second.seq, 3, 'also dead');
      expect(await queue.requeueDeadLetters({ deliveryIds: ['dl:1'] })).toBe(1);
      const lane = await queue.page({ ruleId: 'r', channel: 'dl' }, 0, 10);
      expect(lane.map((d) => [d.deliveryId, d.attempts])).toEqual([
        ['dl:3', 0],
        ['dl:1', 0],
      ]);
      expect(lane[1].item).toEqual(delivery('dl', 1).item);
      expect((await queue.deadLetters()).filter((d) => d.channel === 'dl').map((d) => d.deliveryId)).toEqual(['dl:2']);
      expect(await queue.requeueDeadLetters({ ruleId: 'nobody' })).toBe(0);
    } finally {
      await queue.close();
    }
  });
});

describe('PostgreSQL delivery queue durability', () => {
  it('keeps queued items across a reopen, and two opens at once create the tables once', async () => {
    const [a, b] = await Promise.all([PostgresDeliveryQueue.open(db.url, logger), PostgresDeliveryQueue.open(db.url, logger)]);
    await b.close();
    await a.enqueue([delivery('keep', 1, 'durable'), delivery('keep', 2, 'durable')]);
    await a.close();
    const reopened = await PostgresDeliveryQueue.open(db.url, logger);
    try {
      expect((await reopened.page({ ruleId: 'durable', channel: 'keep' }, 0, 10)).map((d) => d.deliveryId)).toEqual(['keep:1', 'keep:2']);
    } finally {
      await reopened.close();
    }
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM rowcast_rule_queue WHERE rule_id = 'durable'`);
    await client.end();
    expect(rows[0].n).toBe(2);
  });
});
