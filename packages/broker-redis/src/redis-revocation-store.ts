import type { Redis } from 'ioredis';
import type { Clock, Logger, RevocationStore, TokenRevocation } from '@rowcast/core';
import type { RedisKeys } from './keys.js';

export interface RedisRevocationStoreOptions {
  redis: Redis;
  keys: RedisKeys;
  /** How long a revocation is kept after its `issuedBefore` (the longest token lifetime). */
  retainMs: number;
  clock: Clock;
  logger: Logger;
}

/** Field of one revocation in the hash: key, target and issuedBefore (so a later revocation never hides an earlier one). */
function field(r: TokenRevocation): string {
  return `${r.keyName}\n${r.target}\n${r.issuedBefore}`;
}

function parseField(name: string, appliesAt: string): TokenRevocation | undefined {
  const [keyName, target, issuedBefore] = name.split('\n');
  if (keyName === undefined || target === undefined || issuedBefore === undefined) return undefined;
  return { keyName, target, issuedBefore: Number(issuedBefore), appliesAt: Number(appliesAt) };
}

/**
 * RevocationStore shared by the nodes of a cluster: a hash of the revocations in force (`<prefix>revocations`,
 * field `key \n target \n issuedBefore` -> appliesAt) and a pub/sub channel announcing new ones. A node loads the
 * hash when it subscribes and again whenever its subscriber connection comes back (so one missed during an
 * outage is learnt then). Revocations older than `retainMs` are dropped when the next one is written.
 */
export class RedisRevocationStore implements RevocationStore {
  private subscriber?: Redis;

  constructor(private readonly opts: RedisRevocationStoreOptions) {}

  private get hash(): string {
    return `${this.opts.keys.prefix}revocations`;
  }

  private get channel(): string {
    return `${this.opts.keys.prefix}revocations:new`;
  }

  async revoke(revocations: TokenRevocation[]): Promise<void> {
    const { redis, clock, retainMs } = this.opts;
    // A revocation that could not be recorded must fail, not wait in ioredis' queue for Redis to come back.
    if (redis.status !== 'ready') throw new Error(`Redis is not connected (connection ${redis.status})`);
    const stale = Object.keys(await redis.hgetall(this.hash)).filter((name) => {
      const r = parseField(name, '0');
      return !r || r.issuedBefore < clock.now() - retainMs;
    });
    const multi = redis.multi();
    if (stale.length) multi.hdel(this.hash, ...stale);
    for (const r of revocations) multi.hset(this.hash, field(r), String(r.appliesAt));
    multi.publish(this.channel, JSON.stringify(revocations));
    const answers = await multi.exec();
    const failed = answers?.find(([err]) => err);
    if (!answers || failed) throw failed?.[0] ?? new Error('Redis transaction aborted');
  }

  async subscribe(listener: (revocations: TokenRevocation[]) => void): Promise<void> {
    const { redis, logger } = this.opts;
    const subscriber = redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on('error', (err) => logger.warn({ err }, 'revocation subscriber: redis connection error'));
    subscriber.on('message', (_channel: string, text: string) => {
      try {
        listener(JSON.parse(text) as TokenRevocation[]);
      } catch (err) {
        logger.warn({ err }, 'revocation subscriber: unreadable announcement');
      }
    });
    const load = async () => {
      const all = await redis.hgetall(this.hash);
      const list = Object.entries(all).flatMap(([name, appliesAt]) => parseField(name, appliesAt) ?? []);
      if (list.length) listener(list);
    };
    // After a reconnect the announcements sent meanwhile are lost: reread the hash.
    let first = true;
    subscriber.on('ready', () => {
      if (first) return;
      load().catch((err) => logger.warn({ err }, 'revocation subscriber: reloading revocations failed'));
    });
    await subscriber.subscribe(this.channel);
    first = false;
    await load();
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }
}
