import type { Redis } from 'ioredis';

/**
 * The Lua scripts: each runs atomically in Redis, which is what gives the cluster one serial sequence per
 * channel and per-channel atomic presence changes without locks.
 */

/** Trims a history sorted set (KEYS[h]) by count, then by age from the head, as the memory store does. */
const TRIM = `
local function trim(hist, cutoff, maxEvents)
  local n = redis.call('ZCARD', hist)
  if n > maxEvents then redis.call('ZREMRANGEBYRANK', hist, 0, n - maxEvents - 1) end
  while true do
    local head = redis.call('ZRANGE', hist, 0, 0)
    if #head == 0 or tonumber(string.sub(head[1], 1, 15)) >= cutoff then break end
    redis.call('ZREMRANGEBYRANK', hist, 0, 0)
  end
end
`;

/** Error reply of a script run on a Redis data set other than the one the node knows (see StoreIdentity). */
export const INSTANCE_CHANGED = 'ROWCAST_INSTANCE_CHANGED';

/**
 * Refuses to run on a data set the node has not recovered onto: without this, a Redis that restarted empty would
 * silently start every channel's sequence again. KEYS[k] is the instance key, ARGV[a] the node's instance id.
 */
const instanceCheck = (k: number, a: number) => `
if redis.call('GET', KEYS[${k}]) ~= ARGV[${a}] then return redis.error_reply('${INSTANCE_CHANGED}') end
`;

/**
 * Sequences, stores and publishes one event.
 * KEYS: meta, hist, instance. ARGV: epochIfNew, tsPrefix, cutoff, maxEvents, histTtlMs, metaTtlMs, body,
 * pubsubChannel, idKeyPrefix, idWindowMs, instanceId, eventId ('' for none), eventIdWindowMs, explicit ids...
 * Returns the serial, or false when the same event (id and body) or every explicit id was already published in its
 * window (a repeat, such as a command resent after a failover to a replica that had it: nothing happens). A channel without meta (new, or expired) starts a new epoch, and any history of an older epoch goes
 * with it.
 */
const PUBLISH = `${TRIM}${instanceCheck(3, 11)}
if ARGV[12] ~= '' and not redis.call('SET', ARGV[9] .. 'event:' .. ARGV[12] .. ':' .. redis.sha1hex(ARGV[7]), '1', 'NX', 'PX', ARGV[13]) then return false end
local nIds = #ARGV - 13
if nIds > 0 then
  local seen = 0
  for i = 14, #ARGV do seen = seen + redis.call('EXISTS', ARGV[9] .. ARGV[i]) end
  if seen == nIds then return false end
  for i = 14, #ARGV do redis.call('SET', ARGV[9] .. ARGV[i], '1', 'PX', ARGV[10]) end
end
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'epoch', epoch)
  redis.call('DEL', KEYS[2])
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local serial = epoch .. '-' .. string.format('%012d', seq)
local record = ARGV[2] .. '|' .. serial .. '|' .. ARGV[7]
redis.call('ZADD', KEYS[2], seq, record)
trim(KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4]))
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PUBLISH', ARGV[8], record)
return serial
`;

/**
 * Appends an event whose serial is known (HistoryStore.append). KEYS: meta, hist.
 * ARGV: epoch, seq, record, cutoff, maxEvents, histTtlMs, metaTtlMs.
 */
const APPEND = `${TRIM}
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if epoch ~= ARGV[1] then
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', ARGV[1])
end
redis.call('HSET', KEYS[1], 'seq', ARGV[2])
redis.call('ZADD', KEYS[2], tonumber(ARGV[2]), ARGV[3])
trim(KEYS[2], tonumber(ARGV[4]), tonumber(ARGV[5]))
redis.call('PEXPIRE', KEYS[2], ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return 1
`;

/**
 * The channel's sequence position, creating its epoch when it has none (so a serial handed out before the
 * first event stays continuous with it). KEYS: meta, instance. ARGV: epochIfNew, metaTtlMs, instanceId.
 * Returns { epoch, seq, prevEpoch or false, prevSeq, base } (see RECOVER).
 */
const POSITION = `${instanceCheck(2, 3)}
if redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local v = redis.call('HMGET', KEYS[1], 'epoch', 'seq', 'prevEpoch', 'prevSeq', 'base')
return { v[1], v[2] or '0', v[3] or false, v[4] or '0', v[5] or '0' }
`;

/**
 * Run by each node, for each channel it knows, after Redis changed under it (a restart with or without its
 * data, a failover): { knownEpoch, knownSeq } is the last serial the node saw acknowledged or delivered.
 * - The first node to do so for the channel on this data set (the channel is still in the known epoch, or Redis
 *   lost it) starts a new epoch. Its seq goes on from `base`, the highest of what Redis kept and what the node
 *   knew, so no serial is handed out twice even when a replica missed the tail, and the history Redis kept
 *   stays (scores keep rising). It records where the old epoch ended as far as known (prevEpoch, prevSeq) and
 *   how much of it Redis kept (prevKept), for readers to judge whether they saw it whole.
 * - A node that knew more of the old epoch than recorded raises prevSeq and announces it on the gap channel:
 *   a node that judged itself continuous on the lower value was wrong.
 * KEYS: meta, hist. ARGV: knownEpoch, knownSeq, epochIfNew, metaTtlMs, channel, gapChannel, instanceId.
 */
const RECOVER = `
local m = redis.call('HMGET', KEYS[1], 'epoch', 'seq', 'prevEpoch', 'prevSeq', 'inst')
local known = tonumber(ARGV[2])
if m[5] ~= ARGV[7] and ((not m[1]) or m[1] == ARGV[1]) then
  local kept = tonumber(m[2] or '0')
  if not m[1] then redis.call('DEL', KEYS[2]) end
  local base = math.max(kept, known)
  redis.call('HSET', KEYS[1], 'epoch', ARGV[3], 'seq', base, 'base', base, 'prevEpoch', ARGV[1], 'prevSeq', base, 'prevKept', kept, 'inst', ARGV[7])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return 1
end
if m[3] == ARGV[1] and tonumber(m[4] or '0') < known then
  redis.call('HSET', KEYS[1], 'prevSeq', ARGV[2])
  redis.call('PUBLISH', ARGV[6], ARGV[5] .. '\\0' .. ARGV[1] .. '\\0' .. ARGV[2])
end
return 0
`;

/**
 * Makes the node's view of the data set current. KEYS: instance. ARGV: the id the node knows (or ''),
 * a new id. When the key is absent (Redis lost its data) or still the node's own (Redis restarted or failed
 * over with its data), the new id replaces it, so every other node finds out too; when another node replaced
 * it already, that id stands. Returns the id now in force.
 */
const ADOPT_INSTANCE = `
local cur = redis.call('GET', KEYS[1])
if (not cur) or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return ARGV[2]
end
return cur
`;

/**
 * Trims, then reads the history of a channel. KEYS: meta, hist. ARGV: cutoff, maxEvents, afterSeq ('-inf' for all).
 * Returns { epoch or false, lastSeq, firstKeptSeq or false, prevEpoch or false, prevSeq, prevKept, base, records... }
 * (see RECOVER).
 */
const READ = `${TRIM}
trim(KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]))
local v = redis.call('HMGET', KEYS[1], 'epoch', 'seq', 'prevEpoch', 'prevSeq', 'prevKept', 'base')
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local from = ARGV[3]
if from ~= '-inf' then from = '(' .. from end
local out = { v[1] or false, v[2] or '0', first[2] or false, v[3] or false, v[4] or '0', v[5] or '0', v[6] or '0' }
for _, r in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], from, '+inf')) do out[#out + 1] = r end
return out
`;

/**
 * Applies one presence change atomically. KEYS: members, order, counter, connectionPresence, owners, nodeConnections.
 * ARGV: memberKey, isLeave ('1'/'0'), body, channel, connectionId, nodeId, nodeKeyPrefix. Returns 1 when something
 * changed. When a connection's last member leaves, its ownership records go too, so they do not pile up.
 */
const PRESENCE_APPLY = `
local field = ARGV[4] .. '\\0' .. ARGV[1]
if ARGV[2] == '1' then
  if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[4], field)
  if redis.call('HLEN', KEYS[4]) == 0 then
    local owner = redis.call('HGET', KEYS[5], ARGV[5])
    redis.call('HDEL', KEYS[5], ARGV[5])
    if owner then redis.call('SREM', ARGV[7] .. owner .. ':conns', ARGV[5]) end
  end
  return 1
end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[4], field, '1')
redis.call('HSET', KEYS[5], ARGV[5], ARGV[6])
redis.call('SADD', KEYS[6], ARGV[5])
return 1
`;

/**
 * Claims a dead node for reaping: only the caller that removes it from the node set wins, and the node's
 * connections move to the claimer (so they are reaped by someone even if the claimer dies too).
 * KEYS: nodes, deadConnections, claimerConnections, deadSince. ARGV: deadNodeId. Returns the moved connectionIds,
 * or false when another node claimed first.
 */
const CLAIM_DEAD_NODE = `
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return false end
local conns = redis.call('SMEMBERS', KEYS[2])
if #conns > 0 then redis.call('SUNIONSTORE', KEYS[3], KEYS[3], KEYS[2]) end
redis.call('DEL', KEYS[2], KEYS[4])
return conns
`;

/** Records message ids: KEYS are the ids' keys, ARGV[1] the window in ms. Returns 1 per first sighting, else 0. */
const FIRST_SIGHTINGS = `
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = redis.call('SET', key, '1', 'NX', 'PX', ARGV[1]) and 1 or 0
end
return out
`;

/**
 * Reads one page of a channel's history, after trimming it: up to `count` events of epoch ARGV[3] with seq in
 * [min, max], oldest first ('f') or newest first ('b'), whose timestamp prefix lies in [since, until] (empty: no
 * bound). Reads in chunks of `count` until the page is full, so an unbounded query reads about one page.
 * KEYS: meta, hist. ARGV: cutoff, maxEvents, epoch, min, max, direction, count, since, until.
 * Returns { epoch, records... }; only { epoch } when the channel's epoch is not ARGV[3] (the caller retries).
 */
const READ_PAGE = `${TRIM}
trim(KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]))
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if epoch ~= ARGV[3] then return { epoch or false } end
local out = { epoch }
local count = tonumber(ARGV[7])
local since, till = tonumber(ARGV[8]), tonumber(ARGV[9])
local lo, hi, forwards = ARGV[4], ARGV[5], ARGV[6] == 'f'
while #out <= count do
  local rs
  if forwards then rs = redis.call('ZRANGEBYSCORE', KEYS[2], lo, hi, 'WITHSCORES', 'LIMIT', 0, count)
  else rs = redis.call('ZREVRANGEBYSCORE', KEYS[2], hi, lo, 'WITHSCORES', 'LIMIT', 0, count) end
  for i = 1, #rs, 2 do
    local ts = tonumber(string.sub(rs[i], 1, 15))
    if #out <= count and (not since or ts >= since) and (not till or ts <= till) then out[#out + 1] = rs[i] end
  end
  if #rs < 2 * count then break end
  if forwards then lo = '(' .. rs[#rs] else hi = '(' .. rs[#rs] end
end
return out
`;

/** Scripts as typed functions on one ioredis client. */
export interface RowcastScripts {
  rowcastPublish(meta: string, hist: string, instance: string, ...argv: Array<string | number | Uint8Array>): Promise<string | null>;
  rowcastAppend(meta: string, hist: string, ...argv: Array<string | number | Uint8Array>): Promise<number>;
  rowcastPosition(
    meta: string,
    instance: string,
    epochIfNew: string,
    metaTtlMs: number,
    instanceId: string,
  ): Promise<[string, string, string | null, string, string]>;
  rowcastRecover(meta: string, hist: string, ...argv: Array<string | number>): Promise<number>;
  rowcastAdoptInstance(instance: string, knownId: string, newId: string): Promise<string>;
  rowcastReadBuffer(meta: string, hist: string, cutoff: number, maxEvents: number, afterSeq: string): Promise<Array<Buffer | null>>;
  rowcastReadPageBuffer(meta: string, hist: string, ...argv: Array<string | number>): Promise<Array<Buffer | null>>;
  rowcastPresenceApply(...keysAndArgv: Array<string | Uint8Array>): Promise<number>;
  rowcastFirstSightings(numberOfKeys: number, ...keysAndWindow: Array<string | number>): Promise<number[]>;
  rowcastClaimDeadNode(nodes: string, deadConns: string, claimerConns: string, deadSince: string, deadNodeId: string): Promise<string[] | null>;
}

const defined = new WeakSet<Redis>();

/** Defines the scripts on `redis` (once) and returns it typed with them. ioredis reloads them after NOSCRIPT. */
export function withScripts(redis: Redis): Redis & RowcastScripts {
  if (!defined.has(redis)) {
    redis.defineCommand('rowcastPublish', { numberOfKeys: 3, lua: PUBLISH });
    redis.defineCommand('rowcastRecover', { numberOfKeys: 2, lua: RECOVER });
    redis.defineCommand('rowcastAdoptInstance', { numberOfKeys: 1, lua: ADOPT_INSTANCE });
    redis.defineCommand('rowcastAppend', { numberOfKeys: 2, lua: APPEND });
    redis.defineCommand('rowcastPosition', { numberOfKeys: 2, lua: POSITION });
    redis.defineCommand('rowcastRead', { numberOfKeys: 2, lua: READ });
    redis.defineCommand('rowcastReadPage', { numberOfKeys: 2, lua: READ_PAGE });
    redis.defineCommand('rowcastPresenceApply', { numberOfKeys: 6, lua: PRESENCE_APPLY });
    // The number of keys varies per call: it is passed as the first argument.
    redis.defineCommand('rowcastFirstSightings', { lua: FIRST_SIGHTINGS });
    redis.defineCommand('rowcastClaimDeadNode', { numberOfKeys: 4, lua: CLAIM_DEAD_NODE });
    defined.add(redis);
  }
  return redis as Redis & RowcastScripts;
}
