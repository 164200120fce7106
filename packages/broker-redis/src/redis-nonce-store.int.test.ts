import { afterAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisKeys } from './keys.js';
import { RedisNonceStore } from './redis-nonce-store.js';
import { deletePrefix, uniquePrefix } from './testing/redis-test-support.js';

const redisUrl = inject('redisUrl');

/** What a redemption settles with: the answer, or the error's message. */
async function outcome(p: Promise<boolean>): Promise<boolean | string> {
  return p.then(
    (first) => first,
    (err: Error) => err.message,
  );
}

describe.skipIf(!redisUrl)(redisUrl ? 'RedisNonceStore during an outage' : 'RedisNonceStore outage: SKIPPED, no Redis (set REDIS_URL)', () => {
  const prefix = uniquePrefix('nonces');
  const keys = new RedisKeys(prefix);
  const connections: Redis[] = [];
  afterAll(async () => {
    for (const r of connections) r.disconnect();
    await deletePrefix(redisUrl, prefix);
  });

  it('rejects at once while its connection is not ready (it would otherwise queue until Redis is back)', async () => {
    // Port 1 refuses connections: the client keeps reconnecting, as the node's does while Redis is down.
    const redis = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: null, retryStrategy: () => 50 });
    redis.on('error', () => {});
    connections.push(redis);
    const store = new RedisNonceStore({ redis, keys, timeoutMs: 60_000 });
    const started = Date.now();
    expect(await outcome(store.redeem('app1.full', 'n-down', 60_000))).toMatch(/Redis is not connected/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('rejects after its timeout when Redis does not answer, and the nonce is still spent once it does', async () => {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    connections.push(redis);
    await new Promise((ok) => redis.once('ready', ok));
    const store = new RedisNonceStore({ redis, keys, timeoutMs: 300 });
    // The SET goes out but its answer is not read: to the store, Redis went silent.
    redis.stream.pause();
    expect(await outcome(store.redeem('app1.full', 'n-silent', 60_000))).toMatch(/did not answer within 300 ms/);
    redis.stream.resume();
    expect(await store.redeem('app1.full', 'n-silent', 60_000)).toBe(false);
    expect(await store.redeem('app1.full', 'n-fresh', 60_000)).toBe(true);
  });
});
