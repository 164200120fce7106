import { collectDefaultMetrics, Counter, Gauge, register as globalRegistry, Registry } from 'prom-client';
import type { RealtimeNode, TrafficCounters } from '@rowcast/core';
import type { Operations } from '../operations.js';
import type { RestRequestCounts } from '../stats/rest-requests.js';

export interface PrometheusSources {
  node: RealtimeNode;
  restCounts: RestRequestCounts;
  operations: Operations;
}

let defaultMetricsOn = false;

/**
 * The Prometheus view of one server. Nothing here runs on the message path: every metric is a collect callback
 * that reads the node's plain counters (or asks a component) when /metrics is scraped. The rules' own counters
 * and the process metrics live in prom-client's global registry and are served alongside.
 */
export class PrometheusMetrics {
  private readonly registry = new Registry();

  constructor(private readonly sources: PrometheusSources) {
    if (!defaultMetricsOn) {
      collectDefaultMetrics({ register: globalRegistry });
      defaultMetricsOn = true;
    }
    this.defineEngineMetrics();
    this.defineHistoryMetrics();
    this.defineComponentMetrics();
  }

  readonly contentType = globalRegistry.contentType;

  /** The text exposition of every metric. */
  async text(): Promise<string> {
    return (await this.registry.metrics()) + (await globalRegistry.metrics());
  }

  /** A counter that reports a total read from the node's counters at scrape time. */
  private total(name: string, help: string, read: (c: TrafficCounters) => number): void {
    const counters = this.sources.node.counters;
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(read(counters));
      },
    });
  }

  private defineEngineMetrics(): void {
    const { node, restCounts } = this.sources;
    this.total('rowcast_messages_in_total', 'Messages accepted from publishers', (c) => c.realtimeMessagesIn + c.restMessagesIn);
    this.total(
      'rowcast_message_bytes_in_total',
      'Bytes of the messages accepted (data, name, clientId, extras)',
      (c) => c.realtimeMessageBytesIn + c.restMessageBytesIn,
    );
    this.total('rowcast_messages_out_total', 'Messages delivered to subscribers (one per subscriber)', (c) => c.messagesOut);
    this.total('rowcast_message_bytes_out_total', 'Bytes of the messages delivered', (c) => c.messageBytesOut);
    this.total('rowcast_presence_in_total', 'Presence changes accepted', (c) => c.presenceIn);
    this.total('rowcast_presence_out_total', 'Presence events delivered to subscribers', (c) => c.presenceOut);
    this.total('rowcast_connections_opened_total', 'Connections opened', (c) => c.connectionsOpened);
    this.total('rowcast_channels_opened_total', 'Channels that got their first subscriber on this node', (c) => c.channelsOpened);
    this.total('rowcast_slow_consumer_disconnects_total', 'Connections cut because their send buffer overflowed', (c) => c.slowConsumerDisconnects);
    new Counter({
      name: 'rowcast_publish_refusals_total',
      help: 'Publishes refused, by Ably error code',
      labelNames: ['code'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [code, n] of node.counters.publishRefusals) this.inc({ code: String(code) }, n);
      },
    });
    new Counter({
      name: 'rowcast_rest_requests_total',
      help: 'REST requests answered, by route and HTTP status',
      labelNames: ['route', 'status'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [key, n] of restCounts.byRouteStatus) {
          const space = key.lastIndexOf(' ');
          this.inc({ route: key.slice(0, space), status: key.slice(space + 1) }, n);
        }
      },
    });
    new Gauge({
      name: 'rowcast_connections',
      help: 'Connections held by this node, by state (disconnected: kept for a resume)',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const live = node.liveCounts();
        this.set({ state: 'connected' }, live.connected);
        this.set({ state: 'disconnected' }, live.disconnected);
      },
    });
    new Gauge({
      name: 'rowcast_channels',
      help: 'Channels with at least one subscriber on this node',
      registers: [this.registry],
      collect() {
        this.set(node.liveCounts().channels);
      },
    });
    new Gauge({
      name: 'rowcast_attached_channels',
      help: 'Channel attachments of the connections on this node',
      registers: [this.registry],
      collect() {
        this.set(node.liveCounts().attachments);
      },
    });
    new Gauge({
      name: 'rowcast_presence_members',
      help: 'Presence members of the channels this node has members on',
      registers: [this.registry],
      async collect() {
        let n = 0;
        for (const channel of node.localPresenceChannels()) n += (await node.presenceMembers(channel)).length;
        this.set(n);
      },
    });
  }

  /**
   * History kept, read from the store at scrape time. With Redis the store is the cluster's, so every node reports
   * the same cluster-wide figure (aggregate with max, not sum).
   */
  private defineHistoryMetrics(): void {
    const { node } = this.sources;
    new Gauge({
      name: 'rowcast_history_channels',
      help: 'Channels with message or presence history kept',
      registers: [this.registry],
      async collect() {
        this.set((await node.historySize()).channels);
      },
    });
    new Gauge({
      name: 'rowcast_history_events',
      help: 'History events kept (one per publish: a message batch or a presence change), all channels',
      registers: [this.registry],
      async collect() {
        this.set((await node.historySize()).events);
      },
    });
  }

  private defineComponentMetrics(): void {
    const ops = this.sources.operations;
    const connector = (read: (s: NonNullable<ReturnType<NonNullable<Operations['connector']>['state']>>) => number | null) =>
      function (this: Gauge) {
        const state = ops.connector?.state();
        if (!state) return;
        const v = read(state);
        if (v !== null) this.set(v);
      };
    new Gauge({
      name: 'rowcast_changestream_slot_lag_bytes',
      help: 'WAL bytes the replication slot still holds back',
      registers: [this.registry],
      collect: connector((s) => s.slotLagBytes),
    });
    new Gauge({
      name: 'rowcast_changestream_active',
      help: '1 when this node streams the change stream, 0 when standby',
      registers: [this.registry],
      collect: connector((s) => (s.streaming ? 1 : 0)),
    });
    new Gauge({
      name: 'rowcast_changestream_queued_rows',
      help: 'Rows received and not yet accepted by the realtime server',
      registers: [this.registry],
      collect: connector((s) => s.queuedRows),
    });
    const confirmed = { lsn: '', at: Date.now() };
    new Gauge({
      name: 'rowcast_changestream_confirmed_lsn_age_seconds',
      help: 'Seconds since the confirmed LSN last moved (grows when rows stop flowing or confirmation is stuck)',
      registers: [this.registry],
      collect: connector((s) => {
        if (s.confirmedLsn !== confirmed.lsn) Object.assign(confirmed, { lsn: s.confirmedLsn, at: Date.now() });
        return (Date.now() - confirmed.at) / 1000;
      }),
    });
    new Counter({
      name: 'rowcast_changestream_rows_total',
      help: 'Rows published by the change stream (rate() gives rows/s)',
      registers: [this.registry],
      collect() {
        const state = ops.connector?.state();
        if (!state) return;
        this.reset();
        this.inc(state.publishedRows);
      },
    });
    new Gauge({
      name: 'rowcast_rule_queue_depth',
      help: 'Deliveries queued per rule (accepted by this node and not yet delivered or dead-lettered)',
      labelNames: ['rule'],
      registers: [this.registry],
      collect() {
        for (const [rule, s] of Object.entries(ops.rules?.stats() ?? {})) this.set({ rule }, Math.max(0, s.enqueued - s.delivered - s.deadLettered));
      },
    });
    new Gauge({
      name: 'rowcast_rule_queued',
      help: 'Deliveries waiting in the rules queue (all rules, all nodes)',
      registers: [this.registry],
      async collect() {
        if (ops.rules) this.set(await ops.rules.queued());
      },
    });
    new Gauge({
      name: 'rowcast_redis_roundtrip_seconds',
      help: 'Time of a PING to Redis, measured at scrape',
      registers: [this.registry],
      async collect() {
        if (ops.redis) this.set((await ops.redis.pingMs()) / 1000);
      },
    });
    new Counter({
      name: 'rowcast_redis_reconnects_total',
      help: 'Times the Redis connection was re-established',
      registers: [this.registry],
      collect() {
        if (!ops.redis) return;
        this.reset();
        this.inc(ops.redis.reconnects());
      },
    });
  }
}
