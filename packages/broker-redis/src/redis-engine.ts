import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { silentLogger, systemClock, type Clock, type HistoryRetention, type Logger } from '@rowcast/core';
import { RedisKeys } from './keys.js';
import { leaveConnectionPresence, type PublishPresence } from './leave-connection.js';
import { NodeLiveness } from './node-liveness.js';
import { RedisBroker } from './redis-broker.js';
import { RedisConnectionStateStore } from './redis-connection-state-store.js';
import { RedisHistoryStore } from './redis-history-store.js';
import { RedisNonceStore } from './redis-nonce-store.js';
import { RedisPresenceStore } from './redis-presence-store.js';
import { RedisRevocationStore } from './redis-revocation-store.js';

export interface RedisEngineOptions {
  url: string;
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
  connectionStates: RedisConnectionStateStore;
  /** Redeemed TokenRequest nonces, for the node's Authenticator: a TokenRequest is redeemed once per cluster. */
  nonces: RedisNonceStore;
  /** Token revocations, for the node's Authenticator: a token revoked through any node is refused by all. */
  revocations: RedisRevocationStore;
  /** Joins the cluster; members of dead nodes are made to leave through `publishPresence`. */
  start(publishPresence: PublishPresence): Promise<void>;
  /** Leaves the cluster and closes the connections (after the node closed its broker). */
  close(): Promise<void>;
}

/**
 * Connects to Redis and builds the node's Broker, HistoryStore, PresenceStore, ConnectionStateStore and
 * NonceStore on one commands connection (the broker adds a subscriber connection). Fails if Redis cannot be
 * reached at startup, so a misconfigured node does not run alone; later outages are ridden out by ioredis'
 * reconnects (except by the NonceStore, which refuses TokenRequests meanwhile).
 */
export async function createRedisEngine(opts: RedisEngineOptions): Promise<RedisEngine> {
  const logger = opts.logger ?? silentLogger;
  const clock = opts.clock ?? systemClock();
  const redis = new Redis(opts.url, { lazyConnect: true, maxRetriesPerRequest: null });
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  await redis.connect();
  const keys = new RedisKeys(opts.prefix ?? 'rowcast:');
  const nodeId = randomBytes(6).toString('hex');
  const history = new RedisHistoryStore({ redis, keys, retention: opts.retention, clock });
  const broker = new RedisBroker({ redis, keys, history, clock, logger, idempotencyWindowMs: opts.idempotencyWindowMs });
  const presence = new RedisPresenceStore({ redis, keys, nodeId });
  let liveness: NodeLiveness | undefined;
  const revocations = new RedisRevocationStore({ redis, keys, retainMs: opts.revocationRetainMs ?? 24 * 60 * 60_000, clock, logger });
  return {
    nodeId,
    redis,
    broker,
    history,
    presence,
    connectionStates: new RedisConnectionStateStore({ redis, keys }),
    nonces: new RedisNonceStore({ redis, keys }),
    revocations,
    async start(publishPresence) {
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
