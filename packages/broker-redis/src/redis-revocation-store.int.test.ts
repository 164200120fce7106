import { describe, inject } from 'vitest';
import { Redis } from 'ioredis';
import { silentLogger } from '@rowcast/core';
import { runRevocationStoreSuite } from '@rowcast/core/testing';
import { RedisKeys } from './keys.js';
import { RedisRevocationStore } from './redis-revocation-store.js';
import { deletePrefix, uniquePrefix } from './testing/redis-test-support.js';

const redisUrl = inject('redisUrl');

describe.skipIf(!redisUrl)(redisUrl ? 'RedisRevocationStore' : 'RedisRevocationStore: SKIPPED, no Redis (set REDIS_URL)', () => {
  const prefix = uniquePrefix('revocations');
  const connections: Redis[] = [];
  runRevocationStoreSuite('redis', {
    shared: true,
    newStore: async ({ clock, backend }) => {
      const redis = new Redis(redisUrl);
      connections.push(redis);
      await new Promise((ok) => redis.once('ready', ok)); // the store refuses until the connection is ready
      return new RedisRevocationStore({
        redis,
        keys: new RedisKeys(`${prefix}${backend}:`),
        retainMs: 24 * 60 * 60_000,
        clock,
        logger: silentLogger,
      });
    },
    async cleanup() {
      for (const r of connections.splice(0)) r.disconnect();
      await deletePrefix(redisUrl, prefix);
    },
  });
});
