import type { Redis } from 'ioredis';
import type { IdempotencyStore } from '@rowcast/core';
import type { RedisKeys } from './keys.js';
import { withScripts, type RowcastScripts } from './scripts.js';

/**
 * IdempotencyStore shared by a cluster: one key per (channel, id) set with NX and the window as expiry, all ids
 * of a publish in one script. So the change stream re-sending a transaction through another node after a
 * failover, or a REST retry landing on another node, still reaches the channel once.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly redis: Redis & RowcastScripts;

  constructor(private readonly opts: { redis: Redis; keys: RedisKeys; windowMs: number }) {
    this.redis = withScripts(opts.redis);
  }

  async firstSightings(channel: string, ids: string[]): Promise<boolean[]> {
    if (ids.length === 0) return [];
    const keys = ids.map((id) => this.opts.keys.messageId(channel, id));
    const answers = await this.redis.rowcastFirstSightings(keys.length, ...keys, this.opts.windowMs);
    return answers.map((a) => a === 1);
  }
}
