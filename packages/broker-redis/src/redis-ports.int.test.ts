import { describe, inject } from 'vitest';
import { Redis } from 'ioredis';
import { runBrokerSuite, runConnectionStateStoreSuite, runHistoryStoreSuite, runNonceStoreSuite, runPresenceStoreSuite } from '@rowcast/core/testing';
import { RedisKeys } from './keys.js';
import { RedisBroker } from './redis-broker.js';
import { StoreIdentity } from './store-identity.js';
import { RedisConnectionStateStore } from './redis-connection-state-store.js';
import { RedisHistoryStore } from './redis-history-store.js';
import { RedisNonceStore } from './redis-nonce-store.js';
import { RedisPresenceStore } from './redis-presence-store.js';
import { deletePrefix, uniquePrefix } from './testing/redis-test-support.js';

const redisUrl = inject('redisUrl');

describe.skipIf(!redisUrl)(redisUrl ? 'Redis adapters pass the shared port suites' : 'Redis adapters: SKIPPED, no Redis (set REDIS_URL)', () => {
  const prefix = uniquePrefix('ports');
  const keys = new RedisKeys(prefix);
  const connections: Redis[] = [];
  const connect = () => {
    const r = new Redis(redisUrl);
    connections.push(r);
    return r;
  };
  const cleanup = async () => {
    for (const r of connections.splice(0)) r.disconnect();
    await deletePrefix(redisUrl, prefix);
  };

  runHistoryStoreSuite('redis', {
    newStore: ({ retention, clock }) => new RedisHistoryStore({ redis: connect(), keys, retention, clock }),
    cleanup,
  });

  runPresenceStoreSuite('redis', { newStore: () => new RedisPresenceStore({ redis: connect(), keys, nodeId: 'suite' }), cleanup });

  runConnectionStateStoreSuite('redis', {
    shared: true,
    realTimeExpiry: true,
    newStore: ({ backend }) => new RedisConnectionStateStore({ redis: connect(), keys: new RedisKeys(`${prefix}${backend}:`) }),
    cleanup,
  });

  runNonceStoreSuite('redis', {
    shared: true,
    newStore: async ({ backend }) => {
      const redis = connect();
      await new Promise((ok) => redis.once('ready', ok)); // the store refuses until the connection is ready
      return new RedisNonceStore({ redis, keys: new RedisKeys(`${prefix}${backend}:`) });
    },
    cleanup,
  });

  runBrokerSuite('redis', {
    dedupesExplicitIds: true,
    async newBackend(clock) {
      const brokers: RedisBroker[] = [];
      return {
        maxNodes: Infinity,
        async node() {
          const redis = connect();
          const history = new RedisHistoryStore({ redis, keys, retention: { ttlMs: 120_000, maxEventsPerChannel: 10_000 }, clock });
          const identity = new StoreIdentity({ redis, keys });
          await identity.join();
          const broker = new RedisBroker({ redis, keys, history, clock, identity, idempotencyWindowMs: 60_000 });
          brokers.push(broker);
          return { broker, history };
        },
        async close() {
          for (const b of brokers) await b.close();
          await cleanup();
        },
      };
    },
  });
});
