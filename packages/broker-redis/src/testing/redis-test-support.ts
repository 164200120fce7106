import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** A key prefix no other test run uses. */
export function uniquePrefix(what: string): string {
  return `rowcast-test:${what}:${randomBytes(5).toString('hex')}:`;
}

/** Deletes every key under `prefix` (tests clean up after themselves). */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
