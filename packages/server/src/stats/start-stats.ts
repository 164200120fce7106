import type { Logger } from 'pino';
import { StatsRecorder, type RealtimeNode } from '@rowcast/core';
import type { StatsDeps } from '@rowcast/http-api';
import type { StatsConfig } from '../operations-config.js';
import { PostgresStatsStore } from './postgres-stats-store.js';

export interface StartStatsOptions {
  config: StatsConfig;
  node: RealtimeNode;
  /** This node's id in the cluster (or any stable name for a single node). */
  nodeId: string;
  /** The REST API's stats dependencies: their store is replaced by PostgreSQL's when there is a database. */
  deps: StatsDeps;
  databaseUrl?: string;
  logger: Logger;
}

/**
 * Chooses where stats are kept (PostgreSQL when the server has a database and it can create `rowcast_stats`; else
 * the store already in `deps`: Redis in a cluster, memory alone) and starts writing this node's counters there every `flushIntervalMs`.
 */
export async function startStats(opts: StartStatsOptions): Promise<{ stop(): Promise<void> }> {
  let pgStore: PostgresStatsStore | undefined;
  if (opts.databaseUrl) {
    try {
      pgStore = await PostgresStatsStore.open(opts.databaseUrl);
      opts.deps.store = pgStore;
    } catch (err) {
      // Stats are not worth refusing to start over: they stay where they were (memory or Redis).
      opts.logger.warn({ err }, 'stats: cannot use the database (rowcast_stats); keeping them in memory or Redis');
    }
  }
  const recorder = new StatsRecorder({
    counters: opts.node.counters,
    store: opts.deps.store,
    nodeId: opts.nodeId,
    flushIntervalMs: opts.config.flushIntervalMs,
    levels: () => {
      const live = opts.node.liveCounts();
      return { connections: live.connected, channels: live.channels };
    },
    logger: opts.logger,
  });
  recorder.start();
  // PostgreSQL keeps minutes for `retentionDays`: old ones are pruned at start and then hourly.
  const prune = () =>
    pgStore?.prune(Date.now() - opts.config.retentionDays * 24 * 3600_000).catch((err) => opts.logger.warn({ err }, 'pruning old stats failed'));
  void prune();
  const pruneTimer = pgStore ? setInterval(prune, 3600_000).unref() : undefined;
  return {
    async stop() {
      clearInterval(pruneTimer);
      await recorder.stop();
      await pgStore?.close();
    },
  };
}
