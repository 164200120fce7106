import { z } from 'zod';
import type { Logger } from 'pino';
import { DEFAULT_ENGINE_CONFIG, type NonceStore, type RealtimeNode, type RealtimeNodeOptions } from '@rowcast/core';
import { createRedisEngine } from '@rowcast/broker-redis';
import { ConfigError, type RowcastConfig } from './config.js';

/** The `redis` section of rowcast.config.json (REDIS_URL fills `url`, see config.ts). */
export const redisConfigSchema = z
  .object({
    url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
    /** Key prefix: nodes on the same Redis with the same prefix form one cluster. */
    prefix: z.string().min(1).default('rowcast:'),
    /** How long a node that stopped refreshing its liveness key still counts as alive, in ms. */
    livenessTtlMs: z.number().int().min(300).default(3000),
  })
  .strict();

/** The engine's adapters as chosen by the config, and their lifecycle around the node. */
export interface EngineAdapters {
  /** 'memory' (one node) or 'redis' (a cluster member). */
  kind: 'memory' | 'redis';
  /** Broker, history, presence and shared connection state for RealtimeNode; empty for memory (the node's defaults). */
  ports: Pick<RealtimeNodeOptions, 'broker' | 'history' | 'presence' | 'connectionStates' | 'nodeId'>;
  /**
   * Redeemed TokenRequest nonces for the Authenticator (createAuthenticator's `nonces`): shared by the cluster
   * on Redis, so one signed TokenRequest is redeemed once whichever nodes it is sent to; undefined for memory
   * (the Authenticator's own store).
   */
  nonces?: NonceStore;
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
    const lines = parsed.error.issues.map((i) => `  redis${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`);
    throw new ConfigError(`Invalid config:\n${lines.join('\n')}`);
  }
  const redisConfig = parsed.data;
  const realtime = { ...DEFAULT_ENGINE_CONFIG, ...config.realtime };
  const engine = await createRedisEngine({
    url: redisConfig.url,
    prefix: redisConfig.prefix,
    livenessTtlMs: redisConfig.livenessTtlMs,
    retention: { ttlMs: realtime.historyTtlMs, maxEventsPerChannel: realtime.historyMaxEventsPerChannel },
    presenceLeaveDelayMs: realtime.presenceLeaveDelayMs,
    idempotencyWindowMs: realtime.idempotencyWindowMs,
    logger,
  });
  logger.info(`engine: Redis at ${redactUrl(redisConfig.url)}, cluster prefix "${redisConfig.prefix}", node ${engine.nodeId}`);
  return {
    kind: 'redis',
    ports: {
      broker: engine.broker,
      history: engine.history,
      presence: engine.presence,
      connectionStates: engine.connectionStates,
      nodeId: engine.nodeId,
    },
    nonces: engine.nonces,
    start: (node) => engine.start((channel, presence, eventId, connectionId) => node.publishPresence(channel, presence, eventId, connectionId)),
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
