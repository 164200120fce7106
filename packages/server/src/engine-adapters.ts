import { z } from 'zod';
import type { Logger } from 'pino';
import {
  configIssueLines,
  DEFAULT_ENGINE_CONFIG,
  type NonceStore,
  type RealtimeNode,
  type RealtimeNodeOptions,
  type RevocationStore,
  type StatsStore,
} from '@rowcast/core';
import { createRedisEngine, RedisStatsStore } from '@rowcast/broker-redis';
import { ConfigError, type RowcastConfig } from './config.js';

/** The `redis` section of rowcast.config.json (REDIS_URL fills `url`, see config.ts). */
export const redisConfigSchema = z
  .object({
    /** One Redis server. Either this or `sentinels` + `name`. */
    url: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
    /** Sentinels watching the primary: the nodes follow it through failovers. */
    sentinels: z
      .array(z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) }).strict())
      .min(1)
      .optional(),
    /** The primary's name in the Sentinels' configuration (`sentinel monitor <name> ...`). */
    name: z.string().min(1).optional(),
    /** Password of the Redis servers when reached through sentinels (a `url` carries its own). */
    password: z.string().optional(),
    /** Password of the Sentinels, when they require one. */
    sentinelPassword: z.string().optional(),
    /** Key prefix: nodes on the same Redis with the same prefix form one cluster. */
    prefix: z.string().min(1).default('rowcast:'),
    /** How long a node that stopped refreshing its liveness key still counts as alive, in ms. */
    livenessTtlMs: z.number().int().min(300).default(3000),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.sentinels && c.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'give either url or sentinels, not both' });
    else if (!c.sentinels && !c.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'required (or sentinels and name)' });
    if (c.sentinels && !c.name)
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'required with sentinels: the name of the primary they watch' });
  });

/** The engine's adapters as chosen by the config, and their lifecycle around the node. */
export interface EngineAdapters {
  /** 'memory' (one node) or 'redis' (a cluster member). */
  kind: 'memory' | 'redis';
  /**
   * Broker, history, presence, the message store and shared connection state for RealtimeNode; empty for memory
   * (the node's defaults).
   */
  ports: Pick<RealtimeNodeOptions, 'broker' | 'history' | 'presence' | 'messageStores' | 'connectionStates' | 'nodeId'>;
  /**
   * Redeemed TokenRequest nonces for the Authenticator (createAuthenticator's `nonces`): shared by the cluster
   * on Redis, so one signed TokenRequest is redeemed once whichever nodes it is sent to; undefined for memory
   * (the Authenticator's own store).
   */
  nonces?: NonceStore;
  /** Per-minute stats shared by the cluster (Redis); undefined for memory (the server keeps them in memory or PostgreSQL). */
  statsStore?: StatsStore;
  /** Redis round trip and reconnects, for the metrics; undefined for memory. */
  redisHealth?: { pingMs(): Promise<number>; reconnects(): number };
  /** Token revocations for the Authenticator: shared by the cluster on Redis; undefined for memory (its own store). */
  revocations?: RevocationStore;
  /** After the node exists: joins the cluster (members of dead nodes leave through this node). */
  start(node: RealtimeNode): Promise<void>;
  /** After the node closed: leaves the cluster and closes connections. */
  close(): Promise<void>;
}

/**
 * Memory adapters unless the config has a `redis` section (or REDIS_URL was set), in which case this node
 * joins the cluster of nodes sharing that Redis and prefix. Fails when Redis is configured but unreachable.
 */
export async function createEngineAdapters(config: RowcastConfig, logger: Logger): Promise<EngineAdapters> {
  const section = (config as Record<string, unknown>).redis;
  if (section === undefined) return { kind: 'memory', ports: {}, start: async () => {}, close: async () => {} };
  const parsed = redisConfigSchema.safeParse(section);
  if (!parsed.success) {
    throw new ConfigError(`Invalid config:\n${configIssueLines(parsed.error.issues, ['redis'])}`);
  }
  const redisConfig = parsed.data;
  const realtime = { ...DEFAULT_ENGINE_CONFIG, ...config.realtime };
  const engine = await createRedisEngine({
    url: redisConfig.url,
    sentinels: redisConfig.sentinels,
    name: redisConfig.name,
    password: redisConfig.password,
    sentinelPassword: redisConfig.sentinelPassword,
    prefix: redisConfig.prefix,
    livenessTtlMs: redisConfig.livenessTtlMs,
    retention: { ttlMs: realtime.historyTtlMs, maxEventsPerChannel: realtime.historyMaxEventsPerChannel },
    presenceLeaveDelayMs: realtime.presenceLeaveDelayMs,
    idempotencyWindowMs: realtime.idempotencyWindowMs,
    logger,
  });
  let reconnects = 0;
  engine.redis.on('reconnecting', () => reconnects++);
  const where = redisConfig.url
    ? redactUrl(redisConfig.url)
    : `primary "${redisConfig.name}" of sentinels ${redisConfig.sentinels!.map((s) => `${s.host}:${s.port}`).join(', ')}`;
  logger.info(`engine: Redis at ${where}, cluster prefix "${redisConfig.prefix}", node ${engine.nodeId}`);
  return {
    kind: 'redis',
    ports: {
      broker: engine.broker,
      history: engine.history,
      presence: engine.presence,
      messageStores: () => engine.messages,
      connectionStates: engine.connectionStates,
      nodeId: engine.nodeId,
    },
    nonces: engine.nonces,
    revocations: engine.revocations,
    statsStore: new RedisStatsStore({
      redis: engine.redis,
      prefix: redisConfig.prefix,
      retentionMs: Math.min(config.stats.retentionDays, 7) * 24 * 3600_000,
    }),
    redisHealth: {
      async pingMs() {
        const started = performance.now();
        await engine.redis.ping();
        return performance.now() - started;
      },
      reconnects: () => reconnects,
    },
    start: (node) =>
      engine.start(
        (channel, presence, eventId, connectionId) => node.publishPresence(channel, presence, eventId, connectionId),
        (connectionId) => node.holdsConnection(connectionId),
      ),
    close: () => engine.close(),
  };
}

/** The URL without its password, for logs. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://(unparseable)';
  }
}
