import type { Redis } from 'ioredis';
import type { NonceStore } from '@rowcast/core';
import type { RedisKeys } from './keys.js';

export interface RedisNonceStoreOptions {
  redis: Redis;
  keys: RedisKeys;
  /** How long to wait for Redis' answer before refusing, in ms (default 2000). */
  timeoutMs?: number;
}

/**
 * NonceStore shared by the nodes of a cluster: one `SET <nonce key> 1 NX PX <ttl>` per redemption, which only
 * one caller can win. It fails instead of waiting out an outage (the node's connection queues commands while
 * Redis is away): when the connection is not ready, or Redis does not answer in time, the redemption rejects
 * and the TokenRequest is refused. A SET that timed out may still land later; it then only spends a nonce
 * whose request was refused, never lets one through twice.
 */
export class RedisNonceStore implements NonceStore {
  private readonly timeoutMs: number;

  constructor(private readonly opts: RedisNonceStoreOptions) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
  }

  async redeem(keyName: string, nonce: string, ttlMs: number): Promise<boolean> {
    const { redis, keys } = this.opts;
    if (redis.status !== 'ready') throw new Error(`Redis is not connected (connection ${redis.status})`);
    const set = redis.set(keys.tokenNonce(keyName, nonce), '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return (await Promise.race([set, timeout])) === 'OK';
    } finally {
      clearTimeout(timer);
      set.catch(() => {}); // a late failure of a SET we stopped waiting for
    }
  }
}
