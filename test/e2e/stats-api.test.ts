import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as Ably from 'ably';
import { deletePrefix, uniquePrefix } from '@rowcast/broker-redis/testing';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { clientOptions, startRowcast, type TestRowcast } from '../support/rowcast.ts';

/**
 * Issue 13: Ably's stats API. `client.stats()` of the real SDK returns the traffic the test made, per minute, in
 * Ably's app-stats entries; on two nodes sharing Redis every message counts once (inbound where it was
 * published, outbound where it was delivered); on PostgreSQL the stats outlive a restart.
 */
const redisUrl = inject('redisUrl');
const FLUSH = { stats: { flushIntervalMs: 100 } };

type Totals = Record<string, number>;

/** Sums the entries of every record of a stats query (each record is one minute). */
async function totals(client: Ably.Rest, since: number): Promise<{ totals: Totals; items: Ably.Stats[] }> {
  const page = await client.stats({ start: since, end: Date.now() + 60_000, unit: 'minute', direction: 'forwards' } as Ably.StatsParams);
  const sum: Totals = {};
  for (const item of page.items) for (const [name, v] of Object.entries(item.entries)) sum[name] = (sum[name] ?? 0) + (v ?? 0);
  return { totals: sum, items: page.items };
}

/** Polls the stats until `done` holds (stats are written by each node every flush interval), then returns them. */
async function statsWhen(
  client: Ably.Rest,
  since: number,
  done: (t: Totals) => boolean,
  what: string,
): Promise<{ totals: Totals; items: Ably.Stats[] }> {
  const until = Date.now() + 20_000;
  for (;;) {
    const result = await totals(client, since);
    if (done(result.totals)) return result;
    if (Date.now() > until) throw new Error(`stats never showed ${what}: ${JSON.stringify(result.totals)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the stats API on one node', () => {
  let server: TestRowcast;
  beforeAll(async () => {
    server = await startRowcast(FLUSH);
  });
  afterAll(() => server.close());

  it('refuses callers without credentials (40101) and fixtures unless the config enables them (40300)', async () => {
    const anonymous = await fetch(`${server.url}/stats`);
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe(40101);
    const auth = { authorization: `Basic ${Buffer.from(server.keys.full).toString('base64')}`, 'content-type': 'application/json' };
    const fixture = await fetch(`${server.url}/stats`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify([{ intervalId: '2024-01-01:00:00', channels: { opened: 1 } }]),
    });
    expect(fixture.status).toBe(403);
    expect((await fixture.json()).error.code).toBe(40300);
  });

  it('refuses a key without the stats capability', async () => {
    const rest = new Ably.Rest(clientOptions(server, { key: server.keys.sub }) as Ably.ClientOptions);
    await expect(rest.stats()).rejects.toMatchObject({ code: 40160 });
  });

  it('a bad unit or time is refused with 40003', async () => {
    const rest = new Ably.Rest(clientOptions(server, { key: server.keys.full }) as Ably.ClientOptions);
    await expect(rest.stats({ unit: 'week' } as unknown as Ably.StatsParams)).rejects.toMatchObject({ code: 40003 });
    await expect(rest.stats({ start: 'yesterday' } as unknown as Ably.StatsParams)).rejects.toMatchObject({ code: 40003 });
  });
});

describe.skipIf(!redisUrl)(redisUrl ? 'the stats API on two nodes sharing Redis' : 'stats on Redis: SKIPPED, no Redis (set REDIS_URL)', () => {
  const prefix = uniquePrefix('stats');
  const nodes: TestRowcast[] = [];
  const clients: Ably.Realtime[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) nodes.push(await startRowcast({ redis: { url: redisUrl, prefix }, ...FLUSH }));
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const n of nodes) await n.close();
    await deletePrefix(redisUrl, prefix);
  });

  it('client.stats() returns the test traffic per minute, each message counted once across the nodes', async () => {
    const since = Date.now();
    const realtime = (node: TestRowcast, opts: Record<string, unknown> = {}) => {
      const c = new Ably.Realtime(clientOptions(node, { key: node.keys.full, ...opts }) as Ably.ClientOptions);
      clients.push(c);
      return c;
    };
    // One subscriber on each node.
    const received = [0, 0];
    const subscribers = [realtime(nodes[0]!), realtime(nodes[1]!)];
    await Promise.all(subscribers.map((c, i) => c.channels.get('stats-traffic').subscribe(() => void received[i]!++)));
    // 4 REST publishes through node 0, 3 through node 1, 2 realtime publishes (no echo) on node 1.
    const rest = nodes.map((n) => new Ably.Rest(clientOptions(n, { key: n.keys.full }) as Ably.ClientOptions));
    for (let i = 0; i < 4; i++) await rest[0]!.channels.get('stats-traffic').publish('n', 'abcd');
    for (let i = 0; i < 3; i++) await rest[1]!.channels.get('stats-traffic').publish('n', 'abcd');
    const publisher = realtime(nodes[1]!, { echoMessages: false });
    for (let i = 0; i < 2; i++) await publisher.channels.get('stats-traffic').publish('n', 'abcd');
    await expect.poll(() => received.join(','), { timeout: 15_000 }).toBe('9,9');

    const expected = (t: Totals) => (t['messages.outbound.all.messages.count'] ?? 0) >= 18 && (t['messages.inbound.all.messages.count'] ?? 0) >= 9;
    const { totals: seen, items } = await statsWhen(rest[0]!, since, expected, '9 messages in and 18 out');
    // Exactly once: 9 published, 9 x 2 subscribers delivered (a node counting the other's traffic would double it).
    expect(seen['messages.inbound.all.messages.count']).toBe(9);
    expect(seen['messages.inbound.rest.messages.count']).toBe(7);
    expect(seen['messages.inbound.realtime.messages.count']).toBe(2);
    expect(seen['messages.inbound.all.messages.data']).toBe(9 * 5); // 'n' + 'abcd'
    expect(seen['messages.outbound.realtime.messages.count']).toBe(18);
    expect(seen['messages.all.messages.count']).toBe(27);
    expect(seen['connections.all.opened']).toBe(3);
    // One record per minute, in Ably's shape.
    for (const item of items) {
      expect((item as unknown as { unit: string }).unit).toBe('minute');
      expect(item.intervalId).toMatch(/^\d{4}-\d{2}-\d{2}:\d{2}:\d{2}$/);
      expect(item.schema).toBe('https://schemas.ably.com/json/app-stats-0.0.5.json');
      expect(item.appId).toBe('app1');
    }
    expect(new Set(items.map((i) => i.intervalId)).size).toBe(items.length);
    // The other node answers the same.
    const other = await totals(rest[1]!, since);
    expect(other.totals['messages.inbound.all.messages.count']).toBe(9);
    expect(other.totals['messages.outbound.all.messages.count']).toBe(18);
    // By hour: the same traffic in one or two records (a test crossing the hour), with the current one in progress.
    const hours = await rest[1]!.stats({ start: since, unit: 'hour' } as Ably.StatsParams);
    const inbound = hours.items.reduce((n, i) => n + (i.entries['messages.inbound.all.messages.count'] ?? 0), 0);
    expect(inbound).toBe(9);
    expect(hours.items[0]!.inProgress).toMatch(/^\d{4}-\d{2}-\d{2}:\d{2}:\d{2}:\d{2}$/);
  });
});

describe('the stats API on PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('stats');
  });
  afterAll(() => db.drop());

  it('keeps the per-minute stats across a restart', async () => {
    const since = Date.now();
    let server = await startRowcast({ database: { url: db.url }, ...FLUSH });
    try {
      const rest = new Ably.Rest(clientOptions(server, { key: server.keys.full }) as Ably.ClientOptions);
      for (let i = 0; i < 3; i++) await rest.channels.get('stats-pg').publish('n', 'abcd');
      await statsWhen(rest, since, (t) => t['messages.inbound.rest.messages.count'] === 3, '3 REST messages');
    } finally {
      await server.close();
    }
    server = await startRowcast({ database: { url: db.url }, ...FLUSH });
    try {
      const rest = new Ably.Rest(clientOptions(server, { key: server.keys.full }) as Ably.ClientOptions);
      const { totals: seen } = await totals(rest, since);
      expect(seen['messages.inbound.rest.messages.count']).toBe(3);
      // A page of one minute, newest first, read from PostgreSQL.
      const latest = await rest.stats({ start: since, limit: 1 } as Ably.StatsParams);
      expect(latest.items).toHaveLength(1);
      expect(latest.items[0]!.entries['apiRequests.all.succeeded']).toBeGreaterThanOrEqual(1);
    } finally {
      await server.close();
    }
  });
});
