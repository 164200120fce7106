import {
  ErrorCode,
  ErrorInfo,
  MessageAction,
  type Annotation,
  type Message,
  type MessageOperation,
  type UpdateDeleteResult,
} from '@rowcast/protocol';
import { AcceptedHooks } from './accepted-hooks.js';
import type { AuthenticatorApi } from './auth/api.js';
import { channelDetails, messageHistory, presenceHistory, presenceMembers } from './channel-queries.js';
import { isMetaChannel } from './channel/names.js';
import type { RealtimeConnection } from './connection/connection.js';
import { scheduleRevocationSweep, sendHeartbeats } from './connection/connection-sweeps.js';
import { ConnectionTable } from './connection/connection-table.js';
import { openConnection, type ConnectionHandle } from './connection/handshake.js';
import type { EngineContext } from './context.js';
import { TrafficCounters } from './counters.js';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from './engine-config.js';
import { Hub } from './hub.js';
import { MemoryBroker, MemoryHistoryStore, MemoryIdempotencyStore, MemoryMessageStore, MemoryPresenceStore } from './memory/index.js';
import { deliverableHistory } from './messages/deliverable.js';
import { deliverInbandOccupancy } from './meta/inband-occupancy.js';
import { withMetaLog } from './meta/meta-log-logger.js';
import { Metachannels } from './meta/metachannels.js';
import type {
  AcceptedAnnotation,
  AcceptedHook,
  AcceptedMessage,
  AnnotationsQuery,
  AcceptedPresence,
  ChannelDetails,
  HistoryPage,
  HistoryQuery,
  MutationOrigin,
  PublishOrigin,
  PublishResult,
  RealtimeNodeApi,
  TrustedBatch,
  VersionsQuery,
} from './node-api.js';
import { connectionSummaries, liveCounts, type ConnectionSummary, type LiveCounts } from './node-status.js';
import type { Broker } from './ports/broker.js';
import { systemClock, type Clock } from './ports/clock.js';
import type { ConnectionStateStore } from './ports/connection-state-store.js';
import type { HistorySize, HistoryStore } from './ports/history-store.js';
import type { IdempotencyStore } from './ports/idempotency-store.js';
import type { MessageStoreResolver } from './ports/message-store.js';
import { silentLogger, type Logger } from './ports/logger.js';
import type { PresenceStore } from './ports/presence-store.js';
import { PublishPipeline } from './publish-pipeline.js';
import { MutableMessages } from './mutable-messages.js';
import type { ConnectParams, TransportLink } from './transport.js';

export type { ConnectionSummary, LiveCounts } from './node-status.js';

export interface RealtimeNodeOptions {
  auth: AuthenticatorApi;
  config?: Partial<EngineConfig>;
  clock?: Clock;
  logger?: Logger;
  /** Adapters; the in-memory ones are used for any not given. A broker must write to the given history. */
  history?: HistoryStore;
  broker?: Broker;
  presence?: PresenceStore;
  /** Explicit message ids seen per channel; shared by a cluster so a retry through another node is still a duplicate. */
  idempotency?: IdempotencyStore;
  /**
   * Where each channel's mutable message state (versions, annotations, summaries) is kept; one in-memory store
   * (history's retention) for every channel when not given. A server composes per-channel choices here (chat rooms
   * in PostgreSQL, the rest in Redis or memory).
   */
  messageStores?: MessageStoreResolver;
  /** Cluster only: where connections are kept so that any node can resume them. */
  connectionStates?: ConnectionStateStore;
  /** Cluster only: this node's id in the cluster (ResumableConnection.nodeId). */
  nodeId?: string;
}

/**
 * The realtime engine of one node: wires its ports (broker, history, presence, idempotency, connection states)
 * to the connections a transport opens, the publish pipeline and the metachannels, and answers RealtimeNodeApi
 * for REST, the connector and rules. Each concern lives in its own module; this class composes them.
 */
export class RealtimeNode implements RealtimeNodeApi {
  readonly config: EngineConfig;
  /** This node's traffic, as plain counters (read by the metrics and stats collectors). */
  readonly counters = new TrafficCounters();
  /** Publishes channel and connection lifecycle events on the metachannels. */
  readonly meta: Metachannels;
  private readonly ctx: EngineContext;
  private readonly hooks = new AcceptedHooks();
  private readonly connections: ConnectionTable;
  private readonly pipeline: PublishPipeline;
  private readonly mutable: MutableMessages;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private stateRefreshTimer?: NodeJS.Timeout;
  private readonly closeDefaultMessageStore: () => void;

  constructor(opts: RealtimeNodeOptions) {
    const config = { ...DEFAULT_ENGINE_CONFIG, ...opts.config };
    this.config = config;
    const clock = opts.clock ?? systemClock();
    const history =
      opts.history ?? new MemoryHistoryStore({ ttlMs: config.historyTtlMs, maxEventsPerChannel: config.historyMaxEventsPerChannel }, clock);
    const broker = opts.broker ?? new MemoryBroker(history, clock);
    let defaultMessageStore: MemoryMessageStore | undefined;
    const messageStores: MessageStoreResolver =
      opts.messageStores ??
      (() =>
        (defaultMessageStore ??= new MemoryMessageStore(
          { ttlMs: config.historyTtlMs, maxEventsPerChannel: config.historyMaxEventsPerChannel },
          clock,
        )));
    this.closeDefaultMessageStore = () => defaultMessageStore?.close();
    const logger = withMetaLog(opts.logger ?? silentLogger, (entry) => this.meta?.log(entry));
    this.connections = new ConnectionTable(
      (conn) => this.meta.connectionOpened({ connectionId: conn.id, clientId: conn.identity.clientId }),
      (conn) => this.meta.connectionClosed({ connectionId: conn.id, clientId: conn.identity.clientId }),
    );
    this.ctx = {
      config,
      clock,
      logger,
      auth: opts.auth,
      broker,
      // Readers (resume, rewind, REST history) skip stored items no client could decode; see deliverable.ts.
      history: deliverableHistory(history, logger),
      presence: opts.presence ?? new MemoryPresenceStore(),
      messageStores,
      hub: new Hub(broker, this.counters, logger),
      counters: this.counters,
      connections: this.connections,
      connectionStates: opts.connectionStates,
      nodeId: opts.nodeId,
      publishMessages: (channel, messages, origin) => this.publish(channel, messages, origin),
      publishPresence: (channel, presence, eventId, connectionId) => this.publishPresence(channel, presence, eventId, connectionId),
      mutateMessage: (channel, action, message, origin) => this.mutable.mutate(channel, action, message, message.version, origin),
      publishAnnotations: (channel, annotations, origin) => this.publishAnnotations(channel, annotations, origin),
    };
    const idempotency = opts.idempotency ?? new MemoryIdempotencyStore(config.idempotencyWindowMs, clock);
    // Presence members count in occupancy (presenceMembers, presenceConnections).
    this.mutable = new MutableMessages(this.ctx, this.hooks, this.counters);
    this.pipeline = new PublishPipeline(this.ctx, idempotency, this.counters, this.hooks, (channel) => this.meta.occupancyChanged(channel));
    this.meta = new Metachannels({
      publish: (channel, messages) => this.publish(channel, messages, {}),
      details: (channel) => this.channelDetails(channel),
      isActive: (channel) => this.ctx.hub.subscribers(channel).size > 0,
      deliverInband: (channel, details) => deliverInbandOccupancy(this.ctx, channel, details),
      logger: opts.logger ?? silentLogger,
    });
    this.ctx.hub.onChange = (channel, change) => {
      if (change === 'opened') this.meta.channelOpened(channel);
      else if (change === 'closed') this.meta.channelClosed(channel);
      else this.meta.occupancyChanged(channel);
    };
    // Clients that asked for protocol heartbeats (browsers) get one per half idle interval, so they never
    // time out between two of them.
    this.heartbeatTimer = setInterval(() => sendHeartbeats(this.connections), Math.max(50, config.maxIdleIntervalMs / 2)).unref();
    opts.auth.onRevocation?.((appliesAt) => scheduleRevocationSweep(this.connections, this.ctx, appliesAt));
    // Shared connection state expires unless refreshed: live connections are re-saved well before that, so
    // only those of a dead node go.
    if (opts.connectionStates) {
      this.stateRefreshTimer = setInterval(
        () => {
          for (const conn of this.connections.all()) conn.saveState();
        },
        Math.max(1000, config.connectionStateTtlMs / 3),
      ).unref();
    }
  }

  get maxMessageSize(): number {
    return this.config.maxMessageSize;
  }

  /** Opens a connection on a new transport; the transport feeds the returned handle. */
  connect(params: ConnectParams, link: TransportLink): ConnectionHandle {
    return openConnection(this.ctx, params, link);
  }

  /** Whether this node holds the connection (connected, or waiting for a resume). */
  holdsConnection(connectionId: string): boolean {
    return this.connections.byId(connectionId) !== undefined;
  }

  /** Connections currently held (connected, or waiting for a resume). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Live levels of this node, counted on demand (a scrape, a stats flush), never on the message path. */
  liveCounts(): LiveCounts {
    return liveCounts(this.connections, this.ctx.hub);
  }

  /** What the history store holds (all channels; cluster-wide with a shared store): for /metrics. */
  historySize(): Promise<HistorySize> {
    return this.ctx.history.size();
  }

  /** Channels with subscribers on this node, and how many (admin listing). */
  localChannels(): Array<{ name: string; subscribers: number }> {
    const out: Array<{ name: string; subscribers: number }> = [];
    for (const name of this.ctx.hub.channelNames()) out.push({ name, subscribers: this.ctx.hub.subscribers(name).size });
    return out;
  }

  /** The connections this node holds, summarised for the admin page. */
  localConnections(): ConnectionSummary[] {
    return connectionSummaries(this.connections);
  }

  /** Presence channels of this node's connections (admin listing: channels with members but no subscriber). */
  localPresenceChannels(): Set<string> {
    const out = new Set<string>();
    for (const conn of this.connections.all()) for (const ch of conn.presenceChannels) out.add(ch);
    return out;
  }

  publish(channel: string, messages: Message[], origin: PublishOrigin): Promise<PublishResult> {
    return this.pipeline.publish(channel, messages, origin);
  }

  async publishBatch(channel: string, batch: TrustedBatch): Promise<PublishResult> {
    return (await this.pipeline.publishBatches(channel, [batch]))[0];
  }

  publishBatches(channel: string, batches: TrustedBatch[]): Promise<PublishResult[]> {
    return this.pipeline.publishBatches(channel, batches);
  }

  /** Applies presence changes and publishes the ones that change the set (a re-enter with the same id does not). */
  publishPresence(channel: string, presence: AcceptedPresence[], eventId: string, connectionId?: string): Promise<void> {
    return this.pipeline.publishPresence(channel, presence, eventId, connectionId);
  }

  onAccepted(hook: AcceptedHook): void {
    this.hooks.add(hook);
  }

  history(channel: string, query: HistoryQuery): Promise<HistoryPage<AcceptedMessage>> {
    return messageHistory(this.ctx, channel, query);
  }

  presenceHistory(channel: string, query: HistoryQuery): Promise<HistoryPage<AcceptedPresence>> {
    return presenceHistory(this.ctx, channel, query);
  }

  presenceMembers(channel: string, filter?: { clientId?: string; connectionId?: string }): Promise<AcceptedPresence[]> {
    return presenceMembers(this.ctx, channel, filter);
  }

  channelDetails(channel: string): Promise<ChannelDetails> {
    return channelDetails(this.ctx, channel);
  }

  getMessage(channel: string, serial: string): Promise<AcceptedMessage> {
    return this.mutable.get(channel, serial);
  }

  updateMessage(channel: string, message: Message, operation: MessageOperation | undefined, origin: MutationOrigin): Promise<UpdateDeleteResult> {
    return this.mutable.mutate(channel, MessageAction.UPDATE, message, operation, origin);
  }

  deleteMessage(channel: string, message: Message, operation: MessageOperation | undefined, origin: MutationOrigin): Promise<UpdateDeleteResult> {
    return this.mutable.mutate(channel, MessageAction.DELETE, message, operation, origin);
  }

  appendMessage(channel: string, message: Message, operation: MessageOperation | undefined, origin: MutationOrigin): Promise<UpdateDeleteResult> {
    return this.mutable.mutate(channel, MessageAction.APPEND, message, operation, origin);
  }

  messageVersions(channel: string, serial: string, query: VersionsQuery): Promise<HistoryPage<AcceptedMessage>> {
    return this.mutable.versions(channel, serial, query);
  }

  publishAnnotations(channel: string, annotations: Annotation[], origin: PublishOrigin): Promise<void> {
    return this.mutable.publishAnnotations(channel, annotations, origin);
  }

  annotations(channel: string, serial: string, query: AnnotationsQuery): Promise<HistoryPage<AcceptedAnnotation>> {
    return this.mutable.annotations(channel, serial, query);
  }

  activeChannels(): string[] {
    return [...this.ctx.hub.channelNames()].filter((name) => !isMetaChannel(name)).sort();
  }

  async connectionIdForKey(key: string): Promise<string | undefined> {
    const conn = this.connections.byKey(key);
    if (conn && conn.state !== 'closed') return conn.id;
    return this.ctx.connectionStates?.connectionIdOf(key);
  }

  /**
   * Shuts the node down: every connected client gets DISCONNECTED (so the SDK reconnects to whatever serves
   * next), then the broker and the history store's timers are closed.
   */
  async close(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    clearInterval(this.stateRefreshTimer);
    this.meta.close();
    this.disconnectAll();
    await this.ctx.broker.close();
    this.ctx.history.close?.();
    this.closeDefaultMessageStore();
  }

  /**
   * Sends DISCONNECTED to every connected client and drops the transports (first step of a shutdown: clients
   * reconnect elsewhere or later and resume; publishes from components still work until close()).
   */
  disconnectAll(): void {
    const bye = new ErrorInfo('Server shutting down', ErrorCode.DISCONNECTED, 503);
    for (const conn of [...this.connections.all()]) conn.disconnect(bye);
  }
}

/**
 * The node's connection with `id`. Core-internal (for core/testing): exported from this module, not from the
 * package, so the engine's public surface has no test hooks.
 */
export function connectionById(node: RealtimeNode, id: string): RealtimeConnection | undefined {
  // biome-ignore lint/complexity/useLiteralKeys: the table is private to the class; this module is its only reader
  return node['connections'].byId(id);
}
