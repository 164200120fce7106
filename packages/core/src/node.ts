import { randomBytes } from 'node:crypto';
import { Action, ErrorCode, ErrorInfo, PresenceAction, type Message } from '@rowcast/protocol';
import type { AuthenticatorApi } from './auth/api.js';
import type { ConnectionRegistry, EngineContext } from './context.js';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from './engine-config.js';
import { Hub } from './hub.js';
import { normaliseMessage, requireMessageSize } from './messages/normalise.js';
import { deliverableHistory, deliverableMembers } from './messages/deliverable.js';
import { acceptTrustedBatch, trustedBatchKey } from './messages/trusted-batch.js';
import { effectiveClientId } from './connection/identity.js';
import { Attachment } from './connection/attachment.js';
import { openConnection, type ConnectionHandle } from './connection/handshake.js';
import type { RealtimeConnection } from './connection/connection.js';
import { parseChannelName } from './channel/names.js';
import { pageHistory } from './history-query.js';
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
  private readonly ctx: EngineContext;
  private readonly hooks: AcceptedHook[] = [];
  private readonly idempotency: IdempotencyStore;
  /** Per channel, the last publish still waiting for its id check (see checkIds). */
  private readonly idChecks = new Map<string, Promise<boolean[]>>();
  private readonly byKey = new Map<string, RealtimeConnection>();
  private readonly byId = new Map<string, RealtimeConnection>();
  private readonly heartbeatTimer: NodeJS.Timeout;
  private stateRefreshTimer?: NodeJS.Timeout;

  constructor(opts: RealtimeNodeOptions) {
    const config = { ...DEFAULT_ENGINE_CONFIG, ...opts.config };
    this.config = config;
    const clock = opts.clock ?? systemClock();
    const history =
      opts.history ?? new MemoryHistoryStore({ ttlMs: config.historyTtlMs, maxEventsPerChannel: config.historyMaxEventsPerChannel }, clock);
    const broker = opts.broker ?? new MemoryBroker(history, clock);
    const logger = opts.logger ?? silentLogger;
    this.idempotency = opts.idempotency ?? new MemoryIdempotencyStore(config.idempotencyWindowMs, clock);
    const registry: ConnectionRegistry = {
      byKey: (key) => this.byKey.get(key),
      byId: (id) => this.byId.get(id),
      add: (conn) => {
        this.byKey.set(conn.key, conn);
        this.byId.set(conn.id, conn);
      },
      rekey: (conn, oldKey) => {
        this.byKey.delete(oldKey);
        this.byKey.set(conn.key, conn);
      },
      remove: (conn) => {
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
      hub: new Hub(broker, logger),
      connections: registry,
      connectionStates: opts.connectionStates,
      nodeId: opts.nodeId,
      publishMessages: (channel, messages, origin) => this.publish(channel, messages, origin),
      publishPresence: (channel, presence, eventId, connectionId) => this.publishPresence(channel, presence, eventId, connectionId),
    };
    // Clients that asked for protocol heartbeats (browsers) get one per half idle interval, so they never
    // time out between two of them.
    this.heartbeatTimer = setInterval(() => this.sendHeartbeats(), Math.max(50, config.maxIdleIntervalMs / 2)).unref();
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

  /** Connections currently held (connected, or waiting for a resume). */
  get connectionCount(): number {
    return this.byId.size;
  }

  /**
   * Drops a connection's transport as a network failure would (no CLOSE): its state stays for a resume, unless
   * `discardState`. For tests and operators; returns false when the connection is unknown or has no transport.
   */
  dropTransport(connectionId: string, opts: { discardState?: boolean } = {}): boolean {
    const conn = this.byId.get(connectionId);
    const link = conn?.link;
    if (!conn || !link) return false;
    link.terminate();
    conn.transportClosed(link);
    // As if the state had expired (or the node had restarted): a resume will fail with 80008.
    if (opts.discardState) conn.expire();
    return true;
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
      requireMessageSize({ ...m, clientId }, this.config.maxMessageSize);
      return { m, clientId };
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
    await this.runHooks({ kind: 'message', channel: base, messages: event.messages! });
    event.messages!.forEach((m, k) => (serials[positions[k]] = m.serial));
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
    const now = this.ctx.clock.now();
    await this.ctx.broker.publish(channel, { kind: 'presence', id: eventId, connectionId, timestamp: now, presence: changed });
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
    const events = await this.ctx.history.events(base);
    return pageHistory(events, (e) => (e.kind === 'message' ? e.messages : undefined), query);
  }

  async presenceHistory(channel: string, query: HistoryQuery): Promise<HistoryPage<AcceptedPresence>> {
    const { base } = parseChannelName(channel);
    const events = await this.ctx.history.events(base);
    return pageHistory(events, (e) => (e.kind === 'presence' ? e.presence : undefined), query);
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

  /**
   * Shuts the node down: every connected client gets DISCONNECTED (so the SDK reconnects to whatever serves
   * next), then the broker is closed.
   */
  async close(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    clearInterval(this.stateRefreshTimer);
    this.disconnectAll();
    await this.ctx.broker.close();
  }

  /**
   * Sends DISCONNECTED to every connected client and drops the transports (first step of a shutdown: clients
   * reconnect elsewhere or later and resume; publishes from components still work until close()).
   */
  disconnectAll(): void {
    const bye = new ErrorInfo('Server shutting down', ErrorCode.DISCONNECTED, 503);
    for (const conn of [...this.byId.values()]) conn.disconnect(bye);
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
