import { randomBytes } from 'node:crypto';
import { Action, ErrorCode, ErrorInfo, PresenceAction, type Message } from '@rowcast/protocol';
import type { AuthenticatorApi } from './auth/api.js';
import type { ConnectionRegistry, EngineContext } from './context.js';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from './engine-config.js';
import { Hub } from './hub.js';
import { TrafficCounters } from './counters.js';
import { isEphemeral, withoutEphemeral } from './messages/ephemeral.js';
import { messageSize, normaliseMessage, requireMessageSize } from './messages/normalise.js';
import { deliverableHistory, deliverableMembers } from './messages/deliverable.js';
import { acceptTrustedBatch, trustedBatchKey } from './messages/trusted-batch.js';
import { effectiveClientId } from './connection/identity.js';
import { Attachment } from './connection/attachment.js';
import { openConnection, type ConnectionHandle } from './connection/handshake.js';
import type { RealtimeConnection } from './connection/connection.js';
import { isMetaChannel, parseChannelName } from './channel/names.js';
import { pageHistory } from './history-query.js';
import { Metachannels } from './meta/metachannels.js';
import { withMetaLog } from './meta/meta-log-logger.js';
import { MemoryBroker, MemoryHistoryStore, MemoryIdempotencyStore, MemoryPresenceStore } from './memory/index.js';
import type { Broker } from './ports/broker.js';
import { systemClock, type Clock } from './ports/clock.js';
import type { HistoryStore } from './ports/history-store.js';
import type { IdempotencyStore } from './ports/idempotency-store.js';
import type { ConnectionStateStore } from './ports/connection-state-store.js';
import { silentLogger, type Logger } from './ports/logger.js';
import { memberKey, type PresenceStore } from './ports/presence-store.js';
import type { ConnectParams, TransportLink } from './transport.js';
import type {
  AcceptedEvent,
  AcceptedHook,
  AcceptedMessage,
  AcceptedPresence,
  ChannelDetails,
  HistoryPage,
  HistoryQuery,
  PublishOrigin,
  PublishResult,
  RealtimeNodeApi,
  TrustedBatch,
} from './node-api.js';

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
  /** Cluster only: where connections are kept so that any node can resume them. */
  connectionStates?: ConnectionStateStore;
  /** Cluster only: this node's id in the cluster (ResumableConnection.nodeId). */
  nodeId?: string;
}

/**
 * The realtime engine of one node: connections (opened by a transport), channels, presence and history,
 * wired to its ports. Implements RealtimeNodeApi for REST, the connector and rules.
 */
export class RealtimeNode implements RealtimeNodeApi {
  readonly config: EngineConfig;
  /** This node's traffic, as plain counters (read by the metrics and stats collectors). */
  readonly counters = new TrafficCounters();
  private readonly ctx: EngineContext;
  private readonly hooks: AcceptedHook[] = [];
  private readonly idempotency: IdempotencyStore;
  /** Per channel, the last publish still waiting for its id check (see checkIds). */
  private readonly idChecks = new Map<string, Promise<boolean[]>>();
  private readonly byKey = new Map<string, RealtimeConnection>();
  private readonly byId = new Map<string, RealtimeConnection>();
  private readonly heartbeatTimer: NodeJS.Timeout;
  private stateRefreshTimer?: NodeJS.Timeout;
  /** Publishes channel and connection lifecycle events on the metachannels. */
  readonly meta: Metachannels;

  constructor(opts: RealtimeNodeOptions) {
    const config = { ...DEFAULT_ENGINE_CONFIG, ...opts.config };
    this.config = config;
    const clock = opts.clock ?? systemClock();
    const history =
      opts.history ?? new MemoryHistoryStore({ ttlMs: config.historyTtlMs, maxEventsPerChannel: config.historyMaxEventsPerChannel }, clock);
    const broker = opts.broker ?? new MemoryBroker(history, clock);
    const logger = withMetaLog(opts.logger ?? silentLogger, (entry) => this.meta?.log(entry));
    this.idempotency = opts.idempotency ?? new MemoryIdempotencyStore(config.idempotencyWindowMs, clock);
    const registry: ConnectionRegistry = {
      byKey: (key) => this.byKey.get(key),
      byId: (id) => this.byId.get(id),
      add: (conn) => {
        this.byKey.set(conn.key, conn);
        this.byId.set(conn.id, conn);
        this.meta.connectionOpened({ connectionId: conn.id, clientId: conn.identity.clientId });
      },
      rekey: (conn, oldKey) => {
        this.byKey.delete(oldKey);
        this.byKey.set(conn.key, conn);
      },
      remove: (conn) => {
        if (this.byId.get(conn.id) === conn) this.meta.connectionClosed({ connectionId: conn.id, clientId: conn.identity.clientId });
        this.byKey.delete(conn.key);
        this.byId.delete(conn.id);
      },
    };
    this.ctx = {
      config,
      clock,
      logger,
      auth: opts.auth,
      broker,
      // Readers (resume, rewind, REST history) skip stored items no client could decode; see deliverable.ts.
      history: deliverableHistory(history, logger),
      presence: opts.presence ?? new MemoryPresenceStore(),
      hub: new Hub(broker, this.counters, logger),
      counters: this.counters,
      connections: registry,
      connectionStates: opts.connectionStates,
      nodeId: opts.nodeId,
      publishMessages: (channel, messages, origin) => this.publish(channel, messages, origin),
      publishPresence: (channel, presence, eventId, connectionId) => this.publishPresence(channel, presence, eventId, connectionId),
    };
    this.meta = new Metachannels({
      publish: (channel, messages) => this.publish(channel, messages, {}),
      details: (channel) => this.channelDetails(channel),
      isActive: (channel) => this.ctx.hub.subscribers(channel).size > 0,
      deliverInband: (channel, details) => this.deliverInbandOccupancy(channel, details),
      logger: opts.logger ?? silentLogger,
    });
    this.ctx.hub.onChange = (channel, change) => {
      if (change === 'opened') this.meta.channelOpened(channel);
      else if (change === 'closed') this.meta.channelClosed(channel);
      else this.meta.occupancyChanged(channel);
    };
    // Clients that asked for protocol heartbeats (browsers) get one per half idle interval, so they never
    // time out between two of them.
    this.heartbeatTimer = setInterval(() => this.sendHeartbeats(), Math.max(50, config.maxIdleIntervalMs / 2)).unref();
    opts.auth.onRevocation?.((appliesAt) => this.scheduleRevocationSweep(appliesAt));
    // Shared connection state expires unless refreshed: live connections are re-saved well before that, so
    // only those of a dead node go.
    if (opts.connectionStates) {
      this.stateRefreshTimer = setInterval(
        () => {
          for (const conn of this.byId.values()) conn.saveState();
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
    return this.byId.has(connectionId);
  }

  /** Connections currently held (connected, or waiting for a resume). */
  get connectionCount(): number {
    return this.byId.size;
  }

  /** Live levels of this node, counted on demand (a scrape, a stats flush), never on the message path. */
  liveCounts(): LiveCounts {
    let connected = 0;
    let attachments = 0;
    for (const conn of this.byId.values()) {
      if (conn.state === 'connected') connected++;
      attachments += conn.attachments.size;
    }
    return { connected, disconnected: this.byId.size - connected, channels: this.ctx.hub.channelCount, attachments };
  }

  /** Channels with subscribers on this node, and how many (admin listing). */
  localChannels(): Array<{ name: string; subscribers: number }> {
    const out: Array<{ name: string; subscribers: number }> = [];
    for (const name of this.ctx.hub.channelNames()) out.push({ name, subscribers: this.ctx.hub.subscribers(name).size });
    return out;
  }

  /** The connections this node holds, summarised for the admin page. */
  localConnections(): ConnectionSummary[] {
    return [...this.byId.values()].map((c) => ({
      id: c.id,
      clientId: c.identity.clientId,
      state: c.state,
      channels: [...c.attachments.keys()],
      presenceChannels: [...c.presenceChannels],
    }));
  }

  /** Presence channels of this node's connections (admin listing: channels with members but no subscriber). */
  localPresenceChannels(): Set<string> {
    const out = new Set<string>();
    for (const conn of this.byId.values()) for (const ch of conn.presenceChannels) out.add(ch);
    return out;
  }

  async publish(channel: string, messages: Message[], origin: PublishOrigin): Promise<PublishResult> {
    const { base } = parseChannelName(channel);
    if (!Array.isArray(messages) || messages.length === 0) throw new ErrorInfo('No messages to publish', ErrorCode.BAD_REQUEST, 400);
    const now = this.ctx.clock.now();
    const idBase = origin.idBase ?? randomBytes(9).toString('base64url');
    const identity = { clientId: origin.clientId === '*' ? undefined : origin.clientId, wildcard: origin.clientId === '*' };
    const accepted: AcceptedMessage[] = [];
    const positions: number[] = [];
    const valid = messages.map((raw, i) => {
      const m = normaliseMessage(raw, `messages[${i}]`);
      const clientId = effectiveClientId(identity, m.clientId) ?? (m.clientId === undefined ? origin.defaultClientId : undefined);
      const size = requireMessageSize({ ...m, clientId }, this.config.maxMessageSize);
      return { m, clientId, size };
    });
    // Explicit ids are checked only once every message is valid, so a refused publish records none of them.
    const explicit = valid.filter((v) => v.m.id !== undefined);
    const checked = this.checkIds(
      base,
      explicit.map((v) => v.m.id!),
    );
    const fresh = Array.isArray(checked) ? checked : await checked;
    const duplicates = new Set(explicit.filter((_, k) => !fresh[k]));
    valid.forEach((v, i) => {
      if (duplicates.has(v)) return;
      const { m, clientId } = v;
      const out: AcceptedMessage = { ...m, id: m.id ?? `${idBase}:${i}`, timestamp: now, serial: '', action: 0 };
      if (clientId !== undefined) out.clientId = clientId;
      if (origin.connectionId) out.connectionId = origin.connectionId;
      accepted.push(out);
      positions.push(i);
    });
    const serials: Array<string | null> = messages.map(() => null);
    if (accepted.length === 0) return { serials };
    const event = await this.ctx.broker.publish(base, {
      kind: 'message',
      id: idBase,
      connectionId: origin.connectionId,
      timestamp: now,
      messages: accepted,
      explicitIds: explicit.length ? explicit.filter((v) => !duplicates.has(v)).map((v) => v.m.id!) : undefined,
    });
    if (event.duplicate) return { serials };
    this.countIn(origin, valid, duplicates);
    // Ephemeral messages and metachannel events (Rowcast's own bookkeeping) are not for integrations.
    const integrated = event.messages!.filter((m) => !isEphemeral(m));
    if (integrated.length && !isMetaChannel(base)) await this.runHooks({ kind: 'message', channel: base, messages: integrated });
    for (const [k, m] of event.messages!.entries()) serials[positions[k]] = m.serial;
    return { serials };
  }

  async publishBatch(channel: string, batch: TrustedBatch): Promise<PublishResult> {
    const { base } = parseChannelName(channel);
    const now = this.ctx.clock.now();
    const accepted = acceptTrustedBatch(batch, now, this.config.maxMessageSize);
    // Checked only once the batch is valid (a refused batch records nothing), through the same per-channel
    // queue as `publish`, so neither overtakes the other.
    const key = trustedBatchKey(batch);
    const [fresh] = await this.checkIds(base, [key]);
    if (!fresh) return { serials: new Array<null>(accepted.length).fill(null) };
    const event = await this.ctx.broker.publish(base, {
      kind: 'message',
      id: randomBytes(9).toString('base64url'),
      timestamp: now,
      messages: accepted,
      explicitIds: [key],
    });
    if (event.duplicate) return { serials: new Array<null>(accepted.length).fill(null) };
    this.counters.restMessagesIn += accepted.length;
    // The change stream's rows are JSON text, nearly all ASCII: their length stands for their bytes.
    const nameBytes = batch.name ? batch.name.length : 0;
    for (const d of batch.data) this.counters.restMessageBytesIn += d.length + nameBytes;
    await this.runHooks({ kind: 'message', channel: base, messages: event.messages! });
    return { serials: event.messages!.map((m) => m.serial) };
  }

  /** Applies presence changes and publishes the ones that change the set (a re-enter with the same id does not). */
  async publishPresence(channel: string, presence: AcceptedPresence[], eventId: string, connectionId?: string): Promise<void> {
    const store = this.ctx.presence;
    const current = new Map((await store.members(channel)).map((m) => [memberKey(m), m]));
    const changed: AcceptedPresence[] = [];
    for (const p of presence) {
      const existing = current.get(memberKey(p));
      if (p.action === PresenceAction.LEAVE) {
        if (!existing) continue;
        current.delete(memberKey(p));
        // A leave without data reports the data the member had, as Ably does.
        if (p.data === undefined && existing.data !== undefined) {
          p.data = existing.data;
          if (existing.encoding) p.encoding = existing.encoding;
        }
      } else {
        if (existing && existing.id === p.id) continue; // the SDK re-entering its own member after a resume
        if (existing && p.action === PresenceAction.ENTER) p.action = PresenceAction.UPDATE;
        current.set(memberKey(p), p);
      }
      await store.apply(channel, p);
      changed.push(p);
    }
    if (changed.length === 0) return;
    this.counters.presenceIn += changed.length;
    for (const p of changed) this.counters.presenceBytesIn += messageSize(p);
    const now = this.ctx.clock.now();
    await this.ctx.broker.publish(channel, { kind: 'presence', id: eventId, connectionId, timestamp: now, presence: changed });
    // Presence members count in occupancy (presenceMembers, presenceConnections).
    this.meta.occupancyChanged(channel);
    await this.runHooks({ kind: 'presence', channel, presence: changed });
  }

  /**
   * Asks the idempotency store about explicit ids. The answer may take a round trip (a shared store), and a
   * publish on the same channel must not overtake one still waiting: later publishes wait behind it. Without
   * ids and nothing waiting, it answers synchronously, keeping the publish path synchronous.
   */
  private checkIds(channel: string, ids: string[]): boolean[] | Promise<boolean[]> {
    const ahead = this.idChecks.get(channel);
    if (!ids.length && !ahead) return [];
    const check = (async () => {
      if (ahead) await ahead.catch(() => undefined);
      return ids.length ? this.idempotency.firstSightings(channel, ids) : [];
    })();
    this.idChecks.set(channel, check);
    void check
      .finally(() => {
        if (this.idChecks.get(channel) === check) this.idChecks.delete(channel);
      })
      .catch(() => undefined);
    return check;
  }

  onAccepted(hook: AcceptedHook): void {
    this.hooks.push(hook);
  }

  async history(channel: string, query: HistoryQuery): Promise<HistoryPage<AcceptedMessage>> {
    const { base } = parseChannelName(channel);
    return pageHistory(
      (request) => this.ctx.history.page(base, request),
      // ephemeral messages are never history (a shared store may keep them in the event it sequenced)
      (e) => (e.kind === 'message' ? withoutEphemeral(e).messages : undefined),
      query,
    );
  }

  async presenceHistory(channel: string, query: HistoryQuery): Promise<HistoryPage<AcceptedPresence>> {
    const { base } = parseChannelName(channel);
    return pageHistory(
      (request) => this.ctx.history.page(base, request),
      (e) => (e.kind === 'presence' ? e.presence : undefined),
      query,
    );
  }

  async presenceMembers(channel: string, filter?: { clientId?: string; connectionId?: string }): Promise<AcceptedPresence[]> {
    const { base } = parseChannelName(channel);
    const members = deliverableMembers(base, await this.ctx.presence.members(base), this.ctx.logger);
    return members.filter(
      (m) => (!filter?.clientId || m.clientId === filter.clientId) && (!filter?.connectionId || m.connectionId === filter.connectionId),
    );
  }

  async channelDetails(channel: string): Promise<ChannelDetails> {
    const { base } = parseChannelName(channel);
    const subs = [...this.ctx.hub.subscribers(base)].filter((s): s is Attachment => s instanceof Attachment);
    const members = await this.ctx.presence.members(base);
    const connections = new Set(subs.map((s) => s.conn.id));
    const presenceConnections = new Set(members.map((m) => m.connectionId));
    return {
      channelId: base,
      name: base,
      status: {
        isActive: subs.length > 0 || members.length > 0,
        occupancy: {
          metrics: {
            connections: connections.size,
            publishers: subs.length,
            subscribers: subs.filter((s) => s.rights.subscribe).length,
            presenceConnections: presenceConnections.size,
            presenceMembers: members.length,
            presenceSubscribers: subs.filter((s) => s.rights.presenceSubscribe).length,
          },
        },
      },
    };
  }

  activeChannels(): string[] {
    return [...this.ctx.hub.channelNames()].filter((name) => !isMetaChannel(name)).sort();
  }

  async connectionIdForKey(key: string): Promise<string | undefined> {
    const conn = this.byKey.get(key);
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
  }

  /**
   * Sends DISCONNECTED to every connected client and drops the transports (first step of a shutdown: clients
   * reconnect elsewhere or later and resume; publishes from components still work until close()).
   */
  disconnectAll(): void {
    const bye = new ErrorInfo('Server shutting down', ErrorCode.DISCONNECTED, 503);
    for (const conn of [...this.byId.values()]) conn.disconnect(bye);
  }

  /** Counts the accepted messages of a publish: realtime when a connection sent them, REST/in-process otherwise. */
  private countIn(origin: PublishOrigin, valid: Array<{ size: number }>, duplicates: ReadonlySet<unknown>): void {
    let n = 0;
    let bytes = 0;
    for (const v of valid) {
      if (duplicates.has(v)) continue;
      n++;
      bytes += v.size;
    }
    const c = this.counters;
    if (origin.connectionId) {
      c.realtimeMessagesIn += n;
      c.realtimeMessageBytesIn += bytes;
    } else {
      c.restMessagesIn += n;
      c.restMessageBytesIn += bytes;
    }
  }

  /**
   * Ably's inband occupancy: a `[meta]occupancy` message with the channel's metrics to each local attachment made
   * with `occupancy=metrics` (only to this connection, not published on the channel).
   */
  private deliverInbandOccupancy(channel: string, details: ChannelDetails): void {
    const now = this.ctx.clock.now();
    for (const sub of this.ctx.hub.subscribers(channel)) {
      if (!(sub instanceof Attachment) || !sub.inbandOccupancy || !sub.rights.subscribe || sub.pending) continue;
      const id = `${randomBytes(9).toString('base64url')}:0`;
      const data = JSON.stringify({ metrics: details.status.occupancy.metrics });
      sub.conn.send({
        action: Action.MESSAGE,
        channel: sub.name,
        timestamp: now,
        messages: [{ id, name: '[meta]occupancy', data, encoding: 'json', timestamp: now }],
      });
    }
  }

  /**
   * When a token revocation applies, connections authenticated with a now-revoked token are disconnected with
   * 40141, as Ably does (the SDK then renews its token, or fails when it has no means to).
   */
  private scheduleRevocationSweep(appliesAt: number): void {
    const sweep = () => {
      const revoked = new ErrorInfo('Token revoked', ErrorCode.TOKEN_REVOKED, 401);
      for (const conn of [...this.byId.values()]) {
        if (conn.state === 'connected' && this.ctx.auth.isRevoked?.(conn.credentials)) conn.disconnect(revoked);
      }
    };
    const delay = appliesAt - this.ctx.clock.now();
    if (delay <= 0) sweep();
    else setTimeout(sweep, delay).unref();
  }

  private async runHooks(event: AcceptedEvent): Promise<void> {
    for (const hook of this.hooks) await hook(event);
  }

  private sendHeartbeats(): void {
    for (const conn of this.byId.values()) {
      if (conn.heartbeats && conn.state === 'connected') conn.send({ action: Action.HEARTBEAT });
    }
  }
}

/** See RealtimeNode.liveCounts. */
export interface LiveCounts {
  /** Connections with a transport. */
  connected: number;
  /** Connections kept for a resume, without a transport. */
  disconnected: number;
  /** Channels with at least one subscriber here. */
  channels: number;
  /** Channel attachments of all connections here. */
  attachments: number;
}

/** See RealtimeNode.localConnections. */
export interface ConnectionSummary {
  id: string;
  clientId?: string;
  state: string;
  /** Channels attached, by the name the client used. */
  channels: string[];
  /** Channels this connection is present on. */
  presenceChannels: string[];
}

/**
 * The node's connection with `id`. Core-internal (for core/testing): exported from this module, not from the
 * package, so the engine's public surface has no test hooks.
 */
export function connectionById(node: RealtimeNode, id: string): RealtimeConnection | undefined {
  // biome-ignore lint/complexity/useLiteralKeys: the map is private to the class; this module is its only reader
  return node['byId'].get(id);
}
