import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { silentLogger, systemClock, type Clock, type HistoryRetention, type Logger } from '@rowcast/core';
import { RedisKeys } from './keys.js';
import { leaveConnectionPresence, type PublishPresence } from './leave-connection.js';
import { NodeLiveness } from './node-liveness.js';
import { RedisBroker } from './redis-broker.js';
import { RedisConnectionStateStore } from './redis-connection-state-store.js';
import { RedisHistoryStore } from './redis-history-store.js';
import { RedisMessageStore } from './redis-message-store.js';
import { RedisNonceStore } from './redis-nonce-store.js';
import { RedisPresenceStore } from './redis-presence-store.js';
import { RedisRevocationStore } from './redis-revocation-store.js';
import { restorePresence } from './restore-presence.js';
import { StoreIdentity } from './store-identity.js';

/** A Sentinel to ask for the current primary. */
export interface SentinelAddress {
  host: string;
  port: number;
}

export interface RedisEngineOptions {
  /** One Redis server: `redis://` or `rediss://`. Either this or `sentinels` + `name`. */
  url?: string;
  /** Sentinels watching the primary named `name`: the node follows the primary through failovers. */
  sentinels?: SentinelAddress[];
  /** The primary's name in the Sentinels' configuration (`sentinel monitor <name> ...`). */
  name?: string;
  /** Password of the Redis servers (with sentinels; a `url` carries its own). */
  password?: string;
  /** Password of the Sentinels, when they require one. */
  sentinelPassword?: string;
  /** Key prefix of the cluster: nodes with the same Redis and prefix form one cluster. */
  prefix?: string;
  retention: HistoryRetention;
  presenceLeaveDelayMs: number;
  /** How long explicit message ids are remembered, cluster-wide. */
  idempotencyWindowMs: number;
  /** How long a silent node counts as alive (default 3 s). */
  livenessTtlMs?: number;
  /** How long token revocations are kept (the longest token lifetime; default 24 h). */
  revocationRetainMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** The Redis adapters of one node, ready to hand to RealtimeNode, plus the node's cluster membership. */
export interface RedisEngine {
  nodeId: string;
  redis: Redis;
  broker: RedisBroker;
  history: RedisHistoryStore;
  presence: RedisPresenceStore;
  /** Versions, annotations and summaries of every channel's messages, shared by the cluster. */
  messages: RedisMessageStore;
  connectionStates: RedisConnectionStateStore;
  /** Redeemed TokenRequest nonces, for the node's Authenticator: a TokenRequest is redeemed once per cluster. */
  nonces: RedisNonceStore;
  /** Token revocations, for the node's Authenticator: a token revoked through any node is refused by all. */
  revocations: RedisRevocationStore;
  /**
   * Joins the cluster; members of dead nodes are made to leave through `publishPresence`, and after Redis
   * came back without its data this node's own members (of connections it `holds`) enter again through it.
   */
  start(publishPresence: PublishPresence, holdsConnection?: (connectionId: string) => boolean): Promise<void>;
  /** Leaves the cluster and closes the connections (after the node closed its broker). */
  close(): Promise<void>;
}

/**
 * Connects to Redis and builds the node's Broker, HistoryStore, PresenceStore, ConnectionStateStore and
 * NonceStore on one commands connection (the broker adds a subscriber connection). Fails if Redis cannot be
 * reached at startup, so a misconfigured node does not run alone; later outages are ridden out by ioredis'
 * reconnects (except by the NonceStore, which refuses TokenRequests meanwhile), and a Redis that comes back
 * changed (restarted, emptied, failed over) is recovered onto (see RedisBroker).
 */
export async function createRedisEngine(opts: RedisEngineOptions): Promise<RedisEngine> {
  const logger = opts.logger ?? silentLogger;
  const clock = opts.clock ?? systemClock();
  const redis = connectRedis(opts);
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  await redis.connect();
  const keys = new RedisKeys(opts.prefix ?? 'rowcast:');
  const nodeId = randomBytes(6).toString('hex');
  const identity = new StoreIdentity({ redis, keys });
  await identity.join();
  const history = new RedisHistoryStore({ redis, keys, retention: opts.retention, clock });
  const broker = new RedisBroker({ redis, keys, history, clock, logger, identity, idempotencyWindowMs: opts.idempotencyWindowMs });
  const presence = new RedisPresenceStore({ redis, keys, nodeId });
  let liveness: NodeLiveness | undefined;
  const revocations = new RedisRevocationStore({ redis, keys, retainMs: opts.revocationRetainMs ?? 24 * 60 * 60_000, clock, logger });
  return {
    nodeId,
    redis,
    broker,
    history,
    presence,
    messages: new RedisMessageStore({ redis, keys, history, retention: opts.retention }),
    connectionStates: new RedisConnectionStateStore({ redis, keys }),
    nonces: new RedisNonceStore({ redis, keys }),
    revocations,
    async start(publishPresence, holdsConnection = () => true) {
      broker.onRecovered(() => restorePresence(presence, publishPresence, holdsConnection, logger));
      liveness = new NodeLiveness({
        redis,
        keys,
        nodeId,
        livenessTtlMs: opts.livenessTtlMs ?? 3000,
        leaveDelayMs: opts.presenceLeaveDelayMs,
        leaveConnection: (connectionId) => leaveConnectionPresence(presence, publishPresence, connectionId, clock.now()),
        logger,
      });
      await liveness.start();
      logger.info({ nodeId, prefix: keys.prefix }, 'joined the Redis cluster');
    },
    async close() {
      await liveness?.stop();
      await revocations.close();
      await broker.close();
      redis.disconnect();
    },
  };
}

/** The commands connection: to one server, or to the primary the Sentinels name (followed across failovers). */
function connectRedis(opts: RedisEngineOptions): Redis {
  // Retries at most every half second: a node back on Redis soon after it is (recovering presence, accepting
  // publishes queued meanwhile) matters more than the few connection attempts saved.
  const common: RedisOptions = { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 50, 500) };
  if (opts.sentinels?.length) {
    if (!opts.name) throw new Error('redis: sentinels need the name of the primary they watch');
    return new Redis({
      ...common,
      sentinels: opts.sentinels,
      name: opts.name,
      password: opts.password,
      sentinelPassword: opts.sentinelPassword,
      // A primary that was demoted without dying answers writes with READONLY: ask the Sentinels again. (ioredis'
      // failoverDetector is not used: its disconnect can race a reconnect and leave the client ended for good.)
      reconnectOnError: (err) => err.message.startsWith('READONLY'),
    });
  }
  if (!opts.url) throw new Error('redis: give a url, or sentinels and a name');
  return new Redis(opts.url, common);
}
