import { randomBytes } from 'node:crypto';
import { Action, ErrorCode, ErrorInfo, type ProtocolMessage, type WireFormat } from '@rowcast/protocol';
import type { Credentials } from '../auth/api.js';
import type { EngineContext } from '../context.js';
import { encodeMessage } from '../hub.js';
import type { EncodedFrame, TransportLink } from '../transport.js';
import { AckQueue } from './ack-queue.js';
import type { Attachment } from './attachment.js';
import type { Identity } from './identity.js';
import { InboundRate } from './inbound-rate.js';
import { Outbox } from './outbox.js';
import { leaveAllPresence } from './presence.js';
import { renewalLeadMs } from './token-renewal.js';

export type ConnectionState = 'connected' | 'disconnected' | 'closed';

/**
 * One client connection as the engine keeps it: identity, channels, ACK order and the outgoing queue. It
 * outlives its transport: when the socket drops without CLOSE, the state waits `connectionStateTtl` for a
 * resume, and its presence members leave after `presenceLeaveDelay` unless it comes back first.
 */
export class RealtimeConnection {
  readonly id: string;
  key: string;
  state: ConnectionState = 'connected';
  link: TransportLink | undefined;
  readonly attachments = new Map<string, Attachment>();
  /** Channels this connection entered presence on (to leave them when it goes). */
  readonly presenceChannels = new Set<string>();
  readonly acks: AckQueue;
  readonly outbox: Outbox;
  readonly inboundRate: InboundRate;
  private ttlTimer?: NodeJS.Timeout;
  private leaveTimer?: NodeJS.Timeout;
  private expiryTimer?: NodeJS.Timeout;
  private renewalTimer?: NodeJS.Timeout;
  /** Set when another node resumed this connection: this copy goes without leaving presence. */
  private movedAway = false;

  constructor(
    readonly ctx: EngineContext,
    public credentials: Credentials,
    public identity: Identity,
    readonly format: WireFormat,
    readonly echo: boolean,
    public heartbeats: boolean,
    link: TransportLink,
    /** Given when the connection continues one that another node held (a resume across nodes). */
    id?: string,
  ) {
    this.id = id ?? randomBytes(9).toString('base64url');
    this.key = newKey(this.id);
    this.link = link;
    this.acks = new AckQueue((pm) => this.send(pm));
    this.inboundRate = new InboundRate(ctx.config.maxInboundRate, ctx.clock);
    this.outbox = new Outbox(link, ctx.config.maxSendBufferBytes, () => this.onSlowConsumer());
    this.scheduleTokenExpiry();
    this.saveState();
  }

  /**
   * Cluster only: writes what another node needs to resume this connection (refreshed by the node before it
   * expires, and whenever the key or the presence channels change). Best effort: a failed save only means a
   * resume elsewhere gets 80008, with channel continuity still replayed from history.
   */
  saveState(): void {
    const store = this.ctx.connectionStates;
    if (!store || this.state === 'closed') return;
    const state = {
      connectionId: this.id,
      key: this.key,
      clientId: this.identity.clientId,
      format: this.format,
      presenceChannels: [...this.presenceChannels],
      nodeId: this.ctx.nodeId ?? '',
    };
    store
      .save(state, this.ctx.config.connectionStateTtlMs)
      .catch((err) => this.ctx.logger.warn({ err, connectionId: this.id }, 'saving connection state failed'));
  }

  /** Encodes and queues one protocol message. */
  send(pm: ProtocolMessage): void {
    this.outbox.push(encodeMessage(pm, this.format));
  }

  /** Queues a frame already encoded for this connection's format. */
  sendFrame(frame: EncodedFrame): void {
    this.outbox.push(frame);
  }

  /** An ERROR frame: channel-scoped when `channel` is given (that channel fails), else connection-wide. */
  sendError(err: unknown, channel?: string): void {
    const info = ErrorInfo.from(err);
    if (!(err instanceof ErrorInfo)) this.ctx.logger.error({ err, connectionId: this.id }, 'unexpected error');
    this.send(channel === undefined ? { action: Action.ERROR, error: info.toJSON() } : { action: Action.ERROR, channel, error: info.toJSON() });
  }

  /** The CONNECTED frame for this connection (first connect, resume, in-band re-auth). */
  connectedFrame(error?: ErrorInfo): ProtocolMessage {
    const c = this.ctx.config;
    const pm: ProtocolMessage = {
      action: Action.CONNECTED,
      connectionId: this.id,
      connectionKey: this.key,
      connectionDetails: {
        clientId: this.identity.clientId,
        connectionKey: this.key,
        maxMessageSize: c.maxMessageSize,
        maxFrameSize: c.maxFrameSize,
        maxInboundRate: c.maxInboundRate,
        serverId: c.serverId,
        connectionStateTtl: c.connectionStateTtlMs,
        maxIdleInterval: c.maxIdleIntervalMs,
      },
    };
    if (error) pm.error = error.toJSON();
    return pm;
  }

  /** Takes a new transport (resume/recover): a fresh key, channels to be re-attached by the client. */
  rebind(link: TransportLink): void {
    this.detachChannels();
    this.link?.terminate();
    clearTimeout(this.ttlTimer);
    clearTimeout(this.leaveTimer);
    const oldKey = this.key;
    this.key = newKey(this.id);
    this.ctx.connections.rekey(this, oldKey);
    this.link = link;
    this.outbox.bind(link);
    this.state = 'connected';
    this.saveState();
  }

  /** The transport went away without CLOSE: keep the state for a resume, leave presence after a delay. */
  transportClosed(link: TransportLink): void {
    if (link !== this.link || this.state === 'closed') return;
    this.link = undefined;
    this.outbox.bind(undefined);
    this.state = 'disconnected';
    this.detachChannels();
    this.leaveTimer = setTimeout(() => void this.leaveUnlessResumedElsewhere(), this.ctx.config.presenceLeaveDelayMs).unref();
    this.ttlTimer = setTimeout(() => this.dispose(), this.ctx.config.connectionStateTtlMs).unref();
  }

  /** Ends the connection for good: frames already queued are flushed, presence left now, state dropped. */
  close(finalFrame?: ProtocolMessage): void {
    if (this.state === 'closed') return;
    if (finalFrame) this.send(finalFrame);
    this.outbox.flush();
    this.link?.close();
    this.dispose();
  }

  /** Drops the transport but keeps the state (DISCONNECTED, token expiry, server shutdown). */
  disconnect(error: ErrorInfo): void {
    const link = this.link;
    if (!link) return;
    this.send({ action: Action.DISCONNECTED, error: error.toJSON() });
    this.outbox.flush();
    link.close();
    this.transportClosed(link);
  }

  /**
   * Credentials changed (connect, resume, AUTH): re-arm the renewal request and the expiry. A lead time before
   * the token expires the server sends AUTH, and the SDK answers with a new token in-band (RTN22): the
   * connection stays up. A client that has not renewed by expiry gets DISCONNECTED 40142 and renews on
   * reconnecting (then resumes).
   */
  scheduleTokenExpiry(): void {
    clearTimeout(this.expiryTimer);
    clearTimeout(this.renewalTimer);
    const expires = this.credentials.expires;
    if (expires === undefined) return;
    const delay = Math.max(0, expires - this.ctx.clock.now());
    // setTimeout cannot wait longer than ~24.8 days; tokens that long-lived never expire in-process.
    if (delay > 2 ** 31 - 1) return;
    this.renewalTimer = setTimeout(() => this.requestRenewal(), delay - renewalLeadMs(delay)).unref();
    this.expiryTimer = setTimeout(() => {
      if (this.state === 'connected') {
        this.disconnect(new ErrorInfo('Token expired', ErrorCode.TOKEN_EXPIRED, 401));
      }
    }, delay).unref();
  }

  /** Asks the client for a new token (AUTH); only over a live transport, a resume re-arms it otherwise. */
  private requestRenewal(): void {
    if (this.state !== 'connected' || !this.link) return;
    this.ctx.logger.debug({ connectionId: this.id }, 'token expires soon: asking the client to renew');
    this.send({ action: Action.AUTH });
  }

  /** Forgets the kept state now, as when connectionStateTtl runs out. */
  expire(): void {
    this.dispose();
  }

  private onSlowConsumer(): void {
    this.ctx.logger.warn({ connectionId: this.id }, 'slow consumer: send buffer full, disconnecting');
    const link = this.link;
    if (!link) return;
    link.terminate();
    this.transportClosed(link);
  }

  private detachChannels(): void {
    for (const att of this.attachments.values()) this.ctx.hub.remove(att.channel, att);
    this.attachments.clear();
  }

  /**
   * The presence delay ran out. In a cluster the client may have resumed on another node meanwhile: then that
   * node holds the connection and its members, and this copy just goes, without LEAVEs.
   */
  private async leaveUnlessResumedElsewhere(): Promise<void> {
    const store = this.ctx.connectionStates;
    if (store && this.state === 'disconnected') {
      try {
        const holder = await store.holder(this.id);
        if (holder !== undefined && holder !== (this.ctx.nodeId ?? '')) {
          this.movedAway = true;
          this.dispose();
          return;
        }
      } catch (err) {
        this.ctx.logger.warn({ err, connectionId: this.id }, 'connection state unreadable; leaving presence as usual');
      }
    }
    if (this.state !== 'connected') await leaveAllPresence(this);
  }

  private dispose(): void {
    const wasClosed = this.state === 'closed';
    this.state = 'closed';
    clearTimeout(this.ttlTimer);
    clearTimeout(this.leaveTimer);
    clearTimeout(this.expiryTimer);
    clearTimeout(this.renewalTimer);
    this.detachChannels();
    this.ctx.connections.remove(this);
    if (this.movedAway) return;
    this.ctx.connectionStates?.remove(this.id).catch(() => undefined);
    if (!wasClosed) void leaveAllPresence(this);
  }
}

function newKey(id: string): string {
  return `${id}!${randomBytes(12).toString('base64url')}`;
}
