import type { Redis } from 'ioredis';
import type { ConnectionStateStore, ResumableConnection } from '@rowcast/core';
import type { RedisKeys } from './keys.js';

/** Saves a connection's state and points its current key at it. KEYS: state. ARGV: prefix, id, key, node, json, ttlMs. */
const SAVE = `
local old = redis.call('HGET', KEYS[1], 'key')
if old and old ~= '' and old ~= ARGV[3] then redis.call('DEL', ARGV[1] .. 'connkey:' .. old) end
redis.call('HSET', KEYS[1], 'json', ARGV[5], 'key', ARGV[3], 'node', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('SET', ARGV[1] .. 'connkey:' .. ARGV[3], ARGV[2], 'PX', ARGV[6])
return 1
`;

/** Spends a key: returns the state it pointed at, once. KEYS: keyIndex. ARGV: prefix, key. */
const CLAIM = `
local id = redis.call('GET', KEYS[1])
if not id then return false end
redis.call('DEL', KEYS[1])
local state = ARGV[1] .. 'conn:' .. id .. ':state'
local v = redis.call('HMGET', state, 'json', 'key')
if not v[1] or v[2] ~= ARGV[2] then return false end
redis.call('HSET', state, 'key', '')
return v[1]
`;

/** Forgets a connection. KEYS: state. ARGV: prefix. */
const REMOVE = `
local key = redis.call('HGET', KEYS[1], 'key')
if key and key ~= '' then redis.call('DEL', ARGV[1] .. 'connkey:' .. key) end
redis.call('DEL', KEYS[1])
return 1
`;

/**
 * ConnectionStateStore in Redis, so a client can resume on any node (core's handshake claims the key when the
 * connection is not held locally): a hash per connection { json, key, node } and one index key per connectionKey, both
 * expiring after the connectionStateTtl. Claiming a key is one script, so only one node can resume it.
 */
export class RedisConnectionStateStore implements ConnectionStateStore {
  constructor(private readonly opts: { redis: Redis; keys: RedisKeys }) {}

  async save(state: ResumableConnection, ttlMs: number): Promise<void> {
    const { redis, keys } = this.opts;
    await redis.eval(
      SAVE,
      1,
      keys.connectionState(state.connectionId),
      keys.prefix,
      state.connectionId,
      state.key,
      state.nodeId,
      JSON.stringify(state),
      ttlMs,
    );
  }

  async claim(key: string): Promise<ResumableConnection | undefined> {
    const { redis, keys } = this.opts;
    const json = (await redis.eval(CLAIM, 1, `${keys.prefix}connkey:${key}`, keys.prefix, key)) as string | null;
    return json ? (JSON.parse(json) as ResumableConnection) : undefined;
  }

  async holder(connectionId: string): Promise<string | undefined> {
    return (await this.opts.redis.hget(this.opts.keys.connectionState(connectionId), 'node')) ?? undefined;
  }

  async remove(connectionId: string): Promise<void> {
    const { redis, keys } = this.opts;
    await redis.eval(REMOVE, 1, keys.connectionState(connectionId), keys.prefix);
  }
}
