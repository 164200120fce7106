import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as Ably from 'ably';
import { deletePrefix, uniquePrefix } from '../../packages/broker-redis/src/testing/redis-test-support.ts';
import { clientOptions, startRowcast, until, type TestRowcast } from '../support/rowcast.ts';

/**
 * Issue 8: three nodes on three ports joined through Redis, one SDK client on each. Every client sees every
 * message in one identical order (one channelSerial sequence per channel across the cluster), and REST
 * answers (history, presence) are the same from every node.
 */
const redisUrl = inject('redisUrl');

describe.skipIf(!redisUrl)(redisUrl ? 'a three-node cluster on Redis' : 'cluster: SKIPPED, no Redis (set REDIS_URL)', () => {
  const prefix = uniquePrefix('cluster-order');
  const nodes: TestRowcast[] = [];
  const clients: Ably.Realtime[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) nodes.push(await startRowcast({ redis: { url: redisUrl, prefix } }));
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const n of nodes) await n.close();
    await deletePrefix(redisUrl, prefix);
  });

  async function connect(node: TestRowcast, options: Record<string, unknown>): Promise<Ably.Realtime> {
    const client = new Ably.Realtime(clientOptions(node, options) as Ably.ClientOptions);
    clients.push(client);
    await client.connection.once('connected');
    return client;
  }

  it('3 clients on 3 nodes publish 1,000 messages each; all three see the 3,000 in one identical order', async () => {
    expect(new Set(nodes.map((n) => n.port)).size).toBe(3);
    const members = await Promise.all(
      nodes.map((node, i) => connect(node, { key: node.keys.full, clientId: `client-${i}`, useBinaryProtocol: i !== 1 })),
    );
    const seen: Ably.InboundMessage[][] = [[], [], []];
    const channels = members.map((c) => c.channels.get('cluster-order'));
    await Promise.all(channels.map((ch, i) => ch.subscribe((m) => void seen[i].push(m))));

    await Promise.all(
      channels.map(async (ch, i) => {
        for (let batch = 0; batch < 1000; batch += 50) {
          await Promise.all(Array.from({ length: 50 }, (_, k) => ch.publish('n', { from: i, k: batch + k })));
        }
      }),
    );
    await until(() => seen.every((s) => s.length >= 3000), 'all 3,000 messages on every client', 60_000);

    const order = (s: Ably.InboundMessage[]) => s.map((m) => `${m.serial} ${m.clientId} ${(m.data as { k: number }).k}`);
    expect(seen.map((s) => s.length)).toEqual([3000, 3000, 3000]);
    expect(order(seen[1])).toEqual(order(seen[0]));
    expect(order(seen[2])).toEqual(order(seen[0]));
    // Serials increase along that order, and each publisher's messages keep its publish order.
    const serials = seen[0].map((m) => m.serial!);
    expect([...serials].sort()).toEqual(serials);
    expect(new Set(serials).size).toBe(3000);
    for (let i = 0; i < 3; i++) {
      const mine = seen[0].filter((m) => m.clientId === `client-${i}`).map((m) => (m.data as { k: number }).k);
      expect(mine).toEqual(Array.from({ length: 1000 }, (_, k) => k));
    }
  });

  it('drops an idempotent REST publish retried through another node', async () => {
    const rests = nodes.map((node) => new Ably.Rest(clientOptions(node, { key: node.keys.full }) as Ably.ClientOptions));
    const watcher = await connect(nodes[2], { key: nodes[2].keys.full });
    const got: Ably.InboundMessage[] = [];
    await watcher.channels.get('cluster-idem').subscribe((m) => void got.push(m));
    await rests[0].channels.get('cluster-idem').publish([{ id: 'order-1:0', name: 'order', data: 'first try' }]);
    await rests[1].channels.get('cluster-idem').publish([{ id: 'order-1:0', name: 'order', data: 'retry' }]);
    await rests[1].channels.get('cluster-idem').publish([{ id: 'order-2:0', name: 'order', data: 'next' }]);
    await until(() => got.length >= 2, 'two messages');
    const history = await rests[2].channels.get('cluster-idem').history({ direction: 'forwards' });
    expect(history.items.map((m) => m.data)).toEqual(['first try', 'next']);
    expect(got.map((m) => m.data)).toEqual(['first try', 'next']);
  });

  it('answers history and presence the same from every node', async () => {
    const entrants = await Promise.all(nodes.map((node, i) => connect(node, { key: node.keys.full, clientId: `member-${i}` })));
    await Promise.all(entrants.map((c, i) => c.channels.get('cluster-rest').presence.enter({ node: i })));
    await entrants[0].channels.get('cluster-rest').publish('first', 'one');
    await entrants[1].channels.get('cluster-rest').publish('second', 'two');
    await entrants[2].channels.get('cluster-rest').publish('third', 'three');

    const rests = nodes.map((node) => new Ably.Rest(clientOptions(node, { key: node.keys.full }) as Ably.ClientOptions));
    const histories = await Promise.all(rests.map(async (r) => (await r.channels.get('cluster-rest').history({ direction: 'forwards' })).items));
    const presences = await Promise.all(rests.map(async (r) => (await r.channels.get('cluster-rest').presence.get()).items));
    for (const items of histories) expect(items.map((m) => [m.name, m.data, m.serial])).toEqual(histories[0].map((m) => [m.name, m.data, m.serial]));
    expect(histories[0].map((m) => m.name)).toEqual(['first', 'second', 'third']);
    for (const items of presences) {
      expect(items.map((p) => `${p.clientId}=${JSON.stringify(p.data)}`).sort()).toEqual([
        'member-0={"node":0}',
        'member-1={"node":1}',
        'member-2={"node":2}',
      ]);
    }
    // A realtime client on any node gets the full presence set through SYNC.
    const late = await connect(nodes[2], { key: nodes[2].keys.full, clientId: 'late' });
    const members = await late.channels.get('cluster-rest').presence.get();
    expect(members.map((p) => p.clientId).sort()).toEqual(['member-0', 'member-1', 'member-2']);
  });
});
