import { describe, inject } from 'vitest';
import { Redis } from 'ioredis';
import {
  runBrokerSuite,
  runConnectionStateStoreSuite,
  runHistoryStoreSuite,
  runMessageStoreSuite,
  runNonceStoreSuite,
  runPresenceStoreSuite,
} from '@rowcast/core/testing';
import { systemClock } from '@rowcast/core';
import { RedisKeys } from './keys.js';
import { RedisBroker } from './redis-broker.js';
import { StoreIdentity } from './store-identity.js';
import { RedisConnectionStateStore } from './redis-connection-state-store.js';
import { RedisHistoryStore } from './redis-history-store.js';
import { RedisMessageStore } from './redis-message-store.js';
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

  // Creates are read from history (the broker's publish script stores them there): the suite appends them.
  const retention = { ttlMs: 120_000, maxEventsPerChannel: 10_000 };
  const messageHistory = () => new RedisHistoryStore({ redis: connect(), keys, retention, clock: systemClock() });
  const historyOf = new WeakMap<object, RedisHistoryStore>();
  runMessageStoreSuite('redis', {
    createsFromHistory: true,
    newStore: () => {
      const history = messageHistory();
      const store = new RedisMessageStore({ redis: connect(), keys, history, retention });
      historyOf.set(store, history);
      return store;
    },
    async recordCreates(store, channel, messages) {
      for (const m of messages) {
        const serial = m.serial.slice(0, m.serial.lastIndexOf(':'));
        await historyOf.get(store)!.append({ kind: 'message', channel, serial, id: m.id, timestamp: m.timestamp, messages: [m] });
      }
    },
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
