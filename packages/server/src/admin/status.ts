import type { RealtimeNode } from '@rowcast/core';
import type { Operations } from '../operations.js';

/** The health summary of one node: what `GET /admin/api/status` answers and `rowcast status` prints. */
export interface HealthSummary {
  ok: boolean;
  nodeId: string;
  uptimeSeconds: number;
  engine: 'memory' | 'redis';
  connections: { connected: number; disconnected: number };
  channels: number;
  attachments: number;
  traffic: { messagesIn: number; messagesOut: number; presenceIn: number; slowConsumerDisconnects: number; publishRefusals: number };
  redis?: { ok: boolean; roundTripMs?: number; reconnects: number; error?: string };
  changeStream?: { active: boolean; slotLagBytes: number | null; confirmedLsn: string; publishedRows: number; queuedRows: number };
  rules?: {
    queued: number;
    deadLetters: number;
    byRule: Record<string, { enqueued: number; delivered: number; failedAttempts: number; deadLettered: number }>;
  };
}

/** Gathers the summary; a component that cannot answer marks the node not ok rather than failing the call. */
export async function healthSummary(node: RealtimeNode, ops: Operations, nodeId: string, startedAt: number): Promise<HealthSummary> {
  const live = node.liveCounts();
  const c = node.counters;
  let refusals = 0;
  for (const n of c.publishRefusals.values()) refusals += n;
  const summary: HealthSummary = {
    ok: true,
    nodeId,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    engine: ops.redis ? 'redis' : 'memory',
    connections: { connected: live.connected, disconnected: live.disconnected },
    channels: live.channels,
    attachments: live.attachments,
    traffic: {
      messagesIn: c.realtimeMessagesIn + c.restMessagesIn,
      messagesOut: c.messagesOut,
      presenceIn: c.presenceIn,
      slowConsumerDisconnects: c.slowConsumerDisconnects,
      publishRefusals: refusals,
    },
  };
  if (ops.redis) {
    try {
      summary.redis = { ok: true, roundTripMs: Math.round((await ops.redis.pingMs()) * 100) / 100, reconnects: ops.redis.reconnects() };
    } catch (err) {
      summary.ok = false;
      summary.redis = { ok: false, reconnects: ops.redis.reconnects(), error: String(err) };
    }
  }
  if (ops.connector) {
    const s = ops.connector.state();
    summary.changeStream = {
      active: s.streaming,
      slotLagBytes: s.slotLagBytes,
      confirmedLsn: s.confirmedLsn,
      publishedRows: s.publishedRows,
      queuedRows: s.queuedRows,
    };
  }
  if (ops.rules) {
    try {
      summary.rules = { queued: await ops.rules.queued(), deadLetters: (await ops.rules.deadLetters(10_000)).length, byRule: ops.rules.stats() };
    } catch {
      summary.ok = false;
    }
  }
  return summary;
}
