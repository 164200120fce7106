import { randomFillSync } from 'node:crypto';

/**
 * A new event (publish) id: 72 random bits as 12 base64url characters, the id base its messages' `<id>:<index>`
 * ids are named from. Drawn from a pool of random bytes refilled in bulk: one `randomFillSync` per POOL_IDS ids
 * instead of a `randomBytes` call per publish, which the write-path profile found at 9-16% of the busy time of
 * the change stream's one-row transactions. These ids name events; they are not secrets (keys and nonces use
 * auth/crypto.ts).
 */
const ID_BYTES = 9;
const POOL_IDS = 512;
const pool = Buffer.alloc(ID_BYTES * POOL_IDS);
let offset = pool.length;

export function newEventId(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}
