import type { Redis } from 'ioredis';
import type { MinuteStats, StatsStore } from '@rowcast/core';

export interface RedisStatsStoreOptions {
  redis: Redis;
  /** The cluster's key prefix (RedisKeys.prefix). */
  prefix: string;
  /** How long a minute is kept after its last write (default 7 days). */
  retentionMs?: number;
}

const PEAK = 'peak:';

/**
 * Per-minute stats of a cluster in Redis: a hash per minute (entry -> total, added to with HINCRBY by every
 * node for the traffic it handled, so nothing is counted twice) plus `peak:<node>:<entry>` fields each node
 * overwrites with its own level; a sorted set indexes the minutes.
 */
export class RedisStatsStore implements StatsStore {
  private readonly index: string;
  private readonly retentionMs: number;

  constructor(private readonly opts: RedisStatsStoreOptions) {
    this.index = `${opts.prefix}stats:minutes`;
    this.retentionMs = opts.retentionMs ?? 7 * 24 * 3600_000;
  }

  private minuteKey(minute: number): string {
    return `${this.opts.prefix}stats:m:${minute}`;
  }

  async add(minute: number, sums: Record<string, number>, peaks: Record<string, number>, nodeId: string): Promise<void> {
    const key = this.minuteKey(minute);
    const tx = this.opts.redis.multi();
    for (const [name, v] of Object.entries(sums)) tx.hincrbyfloat(key, name, v);
    const levels = Object.entries(peaks);
    if (levels.length) tx.hset(key, ...levels.flatMap(([name, v]) => [`${PEAK}${nodeId}:${name}`, String(v)]));
    tx.pexpire(key, this.retentionMs);
    tx.zadd(this.index, minute, String(minute));
    await tx.exec();
  }

  async minutes(from: number, to: number, nearest?: { count: number; direction: 'forwards' | 'backwards' }): Promise<MinuteStats[]> {
    const redis = this.opts.redis;
    const minutes = (
      nearest?.direction === 'backwards'
        ? (await redis.zrevrangebyscore(this.index, `(${to}`, from, 'LIMIT', 0, nearest.count)).reverse()
        : nearest
          ? await redis.zrangebyscore(this.index, from, `(${to}`, 'LIMIT', 0, nearest.count)
          : await redis.zrangebyscore(this.index, from, `(${to}`)
    ).map(Number);
    if (minutes.length === 0) return [];
    const pipe = redis.pipeline();
    for (const m of minutes) pipe.hgetall(this.minuteKey(m));
    const hashes = (await pipe.exec()) ?? [];
    const out: MinuteStats[] = [];
    const expired: string[] = [];
    for (const [i, minute] of minutes.entries()) {
      const hash = (hashes[i]?.[1] ?? {}) as Record<string, string>;
      const fields = Object.entries(hash);
      if (fields.length === 0) {
        expired.push(String(minute));
        continue;
      }
      const entries: Record<string, number> = {};
      for (const [field, raw] of fields) {
        // peak:<node>:<entry>: the levels of all nodes add up.
        const name = field.startsWith(PEAK) ? field.slice(field.indexOf(':', PEAK.length) + 1) : field;
        entries[name] = (entries[name] ?? 0) + Number(raw);
      }
      out.push({ minute, entries });
    }
    // Minutes whose hash expired leave the index too.
    if (expired.length) await redis.zrem(this.index, ...expired);
    return out;
  }
}
