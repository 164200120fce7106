import { afterAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { PresenceAction } from '@rowcast/protocol';
import { RedisKeys } from './keys.js';
import { NodeLiveness } from './node-liveness.js';
import { RedisPresenceStore } from './redis-presence-store.js';
import { deletePrefix, uniquePrefix } from './testing/redis-test-support.js';

const redisUrl = inject('redisUrl');

describe.skipIf(!redisUrl)(redisUrl ? 'node liveness and presence ownership in Redis' : 'node liveness: SKIPPED, no Redis (set REDIS_URL)', () => {
  const prefix = uniquePrefix('liveness');
  const keys = new RedisKeys(prefix);
  const redis = new Redis(redisUrl);
  const running: NodeLiveness[] = [];
  afterAll(async () => {
    for (const l of running) await l.stop();
    redis.disconnect();
    await deletePrefix(redisUrl, prefix);
  });
  const member = (connectionId: string, clientId: string, action: number) => ({
    id: `${connectionId}:0:0`,
    action,
    clientId,
    connectionId,
    timestamp: Date.now(),
  });

  it('forgets who owns a connection once its last member left', async () => {
    const store = new RedisPresenceStore({ redis, keys, nodeId: 'owner-node' });
    await store.apply('room-1', member('conn-1', 'a', PresenceAction.ENTER));
    await store.apply('room-2', member('conn-1', 'b', PresenceAction.ENTER));
    expect(await redis.hget(keys.presenceOwners(), 'conn-1')).toBe('owner-node');
    expect(await redis.sismember(keys.nodeConnections('owner-node'), 'conn-1')).toBe(1);
    await store.apply('room-1', member('conn-1', 'a', PresenceAction.LEAVE));
    expect(await redis.hget(keys.presenceOwners(), 'conn-1')).toBe('owner-node');
    await store.apply('room-2', member('conn-1', 'b', PresenceAction.LEAVE));
    expect(await redis.hget(keys.presenceOwners(), 'conn-1')).toBeNull();
    expect(await redis.sismember(keys.nodeConnections('owner-node'), 'conn-1')).toBe(0);
  });

  it('makes the members of a dead node leave once, by one survivor, after the delay', async () => {
    // The dead node: it joined, its connection entered presence, then it stopped refreshing (killed).
    const deadStore = new RedisPresenceStore({ redis, keys, nodeId: 'dead-node' });
    await deadStore.apply('room', member('conn-dead', 'ghost', PresenceAction.ENTER));
    await redis.sadd(keys.nodes(), 'dead-node');
    const leaves: Array<{ by: string; connectionId: string; at: number }> = [];
    const deathNoticedAfter = Date.now();
    const delay = 600;
    for (const nodeId of ['survivor-1', 'survivor-2', 'survivor-3']) {
      const l = new NodeLiveness({
        redis,
        keys,
        nodeId,
        livenessTtlMs: 300,
        leaveDelayMs: delay,
        leaveConnection: async (connectionId) => void leaves.push({ by: nodeId, connectionId, at: Date.now() }),
      });
      running.push(l);
      await l.start();
    }
    const deadline = Date.now() + 10_000;
    while (leaves.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1000)); // time for any other survivor to (wrongly) reap it again
    expect(leaves.map((l) => l.connectionId)).toEqual(['conn-dead']);
    expect(leaves[0].at - deathNoticedAfter).toBeGreaterThanOrEqual(delay);
    expect(await redis.sismember(keys.nodes(), 'dead-node')).toBe(0);
    expect(await redis.sismember(keys.nodes(), 'survivor-1')).toBe(1);
  });
});
