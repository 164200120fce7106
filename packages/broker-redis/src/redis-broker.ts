import type { Redis } from 'ioredis';
import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import {
  formatSerial,
  isAfter,
  newEpoch,
  parseSerial,
  silentLogger,
  stampSerials,
  type Broker,
  type BrokerListener,
  type ChannelEvent,
  type ChannelEventInput,
  type Clock,
  type DiscontinuityListener,
  type Logger,
} from '@rowcast/core';
import { ChannelFeed, type FeedPosition, type FeedSource } from './channel-feed.js';
import { encodeEventBody, formatTimestamp } from './event-record.js';
import type { RedisKeys } from './keys.js';
import { CHANNEL_META_TTL_MS, type RedisHistoryStore } from './redis-history-store.js';
import { INSTANCE_CHANGED, withScripts, type RowcastScripts } from './scripts.js';
import type { StoreIdentity } from './store-identity.js';
import { PublishFence } from './publish-fence.js';

/** How long the serial of an acknowledged publish is remembered for a recovery (see RECOVER). */
const ACKED_MEMORY_MS = 60_000;

export interface RedisBrokerOptions {
  /** Commands connection (shared with the stores). The broker opens its own subscriber connection from it. */
  redis: Redis;
  keys: RedisKeys;
  /** The history the publish script appends to (same Redis, same keys). */
  history: RedisHistoryStore;
  clock: Clock;
  /** How long explicit message ids are remembered cluster-wide (see ChannelEventInput.explicitIds). */
  idempotencyWindowMs: number;
  /** Which Redis data set the node works on (joined before the broker is used). */
  identity: StoreIdentity;
  logger?: Logger;
}

/**
 * Broker for a cluster of nodes on one Redis. `publish` runs one Lua script that takes the channel's next seq,
 * appends the event to the channel's history and PUBLISHes it, atomically: one serial sequence per channel
 * across the cluster, history written before anyone can see the event, and pub/sub order equal to serial
 * order. The same script drops a repeat of explicit message ids published before (through any node), so
 * dedupe and publish cannot be split by a crash. Each node's subscriber connection feeds a ChannelFeed per channel, which fills gaps from history
 * (after a Redis reconnect) so the listener still sees every event once, in order.
 *
 * "Accepted" means the script ran: `publish` resolves only with the serial the script returned, and the
 * publisher's ACK waits for it. Whether an accepted event survives a Redis restart is Redis' persistence
 * setting (appendonly + appendfsync).
 *
 * When Redis changes under the cluster (a restart, with or without its data, or a Sentinel failover; see
 * StoreIdentity), the node recovers before it sequences anything more: it reconciles every channel it knows
 * with the last serial it saw acknowledged or delivered (RECOVER), catches its feeds up, and tells
 * `onRecovered` listeners (presence re-entry). A feed that cannot prove it saw the whole lost tail signals a
 * discontinuity instead of a silent gap. A publish is retried on the recovered data set only when it was
 * queued while Redis was unreachable (it never ran anywhere); one that was in flight when Redis went may have
 * run on the lost data set, so it is refused rather than run twice.
 */
/** How long a publish's event id is remembered against a resend of the same command (seconds after a failover). */
const RESENT_PUBLISH_WINDOW_MS = 60_000;

export class RedisBroker implements Broker {
  /** The publish script drops an event whose explicit ids were all seen, cluster-wide (see PUBLISH in scripts.ts). */
  readonly judgesRepeatsPerEvent = true;
  private readonly redis: Redis & RowcastScripts;
  private readonly sub: Redis;
  private readonly feeds = new Map<string, ChannelFeed>();
  private listener: BrokerListener = () => {};
  private discontinuity: DiscontinuityListener = () => {};
  private readonly recoveredListeners: Array<() => Promise<void>> = [];
  private readonly source: FeedSource;
  private readonly logger: Logger;
  private connectedOnce = false;
  /** Set while the node recovers onto a changed Redis; sequencing waits for it. */
  private recovery?: Promise<void>;
  /** Per channel, the last serial this node's publishes got (oldest first, pruned after ACKED_MEMORY_MS). */
  private readonly acked = new Map<string, { serial: string; at: number }>();
  private readonly fence = new PublishFence();
  /** Times the commands connection closed (see publishInOrder). */
  private closes = 0;
  /** False from a connection close until the node has checked (and if need be recovered onto) the Redis it reconnected to. */
  private verified = true;
  private verifying?: Promise<void>;

  constructor(private readonly opts: RedisBrokerOptions) {
    this.redis = withScripts(opts.redis);
    this.logger = opts.logger ?? silentLogger;
    this.sub = opts.redis.duplicate();
    const gaps = opts.keys.gapNotices();
    this.sub.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      const name = channel.toString();
      if (name === gaps) this.onGapNotice(message.toString());
      else this.feeds.get(opts.keys.channelOfEvents(name))?.push(message);
    });
    this.sub.subscribe(gaps).catch((err) => this.logger.warn({ err }, 'redis broker: subscribing to gap notices failed'));
    // ioredis re-subscribes on reconnect; what was published meanwhile comes from history, once the node knows
    // whether it is the same Redis.
    this.sub.on('ready', () => {
      if (this.connectedOnce) void this.afterReconnect();
      this.connectedOnce = true;
    });
    this.sub.on('error', (err) => this.logger.warn({ err }, 'redis subscriber connection error'));
    // Until the node has checked that a reconnected Redis is the data set it knows, it sequences nothing:
    // after a failover the instance key is still there (replicated), and only the run_id tells.
    opts.redis.on('close', () => {
      this.closes++;
      this.verified = false;
    });
    // The commands connection is ready already (the engine connected it): every later 'ready' is a reconnect.
    opts.redis.on('ready', () => {
      this.checkStore().catch((err) => this.logger.warn({ err }, 'redis broker: checking the Redis data set failed'));
    });
    this.source = {
      position: async (channel) => this.position(channel),
      eventsAfter: async (channel, seq) => (await opts.history.read(channel, String(seq))).events,
    };
    opts.history.setHorizon((channel) => this.feeds.get(channel));
  }

  async publish(channel: string, input: ChannelEventInput): Promise<ChannelEvent> {
    const ticket = this.fence.begin();
    try {
      return await this.publishInOrder(ticket, channel, input);
    } finally {
      this.fence.finish(ticket);
    }
  }

  private async publishInOrder(ticket: number, channel: string, input: ChannelEventInput): Promise<ChannelEvent> {
    for (let attempt = 0; ; attempt++) {
      await this.settled();
      await this.fence.clear(ticket);
      // A publish sent on a connection that then closed may have run on the Redis that went (ioredis sends it
      // again on the next connection); one sent on the current connection has not.
      const closesAtSend = this.closes;
      const instance = this.opts.identity.id;
      try {
        return await this.publishOnce(channel, input);
      } catch (err) {
        if (!isInstanceChanged(err)) throw err;
        if (this.opts.identity.id === instance) await this.recover();
        if (this.closes !== closesAtSend || attempt >= 2) {
          throw new ErrorInfo(
            'Redis restarted or failed over while this publish was in flight: it was not acknowledged (it may or may not have reached subscribers); publish again',
            ErrorCode.INTERNAL_ERROR,
            503,
          );
        }
      }
    }
  }

  /** Resolves once the node may sequence on Redis: reconnected, checked and recovered if it changed. */
  private async settled(): Promise<void> {
    while (!this.verified || this.recovery) {
      if (this.recovery) await this.recovery.catch(() => {});
      else await this.verify();
    }
  }

  private verify(): Promise<void> {
    this.verifying ??= (async () => {
      try {
        const closes = this.closes;
        // Waits in ioredis' queue while Redis is unreachable.
        await this.checkStore();
        if (this.closes === closes) this.verified = true;
      } finally {
        this.verifying = undefined;
      }
    })();
    return this.verifying;
  }

  /** Registers work to run after each recovery onto a changed Redis (the engine re-enters its presence members). */
  onRecovered(listener: () => Promise<void>): void {
    this.recoveredListeners.push(listener);
  }

  /**
   * Recovers if Redis is not the data set this node knows. Called on every reconnect; a script refused for a
   * changed instance id calls `recover` directly.
   */
  async checkStore(): Promise<void> {
    if (this.recovery) return this.recovery;
    if (await this.opts.identity.changed()) await this.recover();
  }

  /** Recovers onto the data set Redis holds now (once at a time; concurrent callers share the run). */
  recover(): Promise<void> {
    if (this.recovery) return this.recovery;
    this.fence.raise();
    const run = this.recoverNow().finally(() => {
      this.recovery = undefined;
    });
    this.recovery = run;
    // Presence re-entry publishes through this broker: it runs after the recovery, not inside it.
    void run.then(
      () => this.runRecoveredListeners(),
      () => {},
    );
    return run;
  }

  private async recoverNow(): Promise<void> {
    const { identity, keys, clock, history } = this.opts;
    const knownBefore = identity.id;
    try {
      const runId = await identity.adopt();
      const channels = this.knownPositions();
      this.logger.warn(
        { runId, instance: identity.id, previousInstance: knownBefore, channels: channels.size },
        'redis broker: Redis changed (restart or failover); recovering',
      );
      const metaTtl = Math.max(CHANNEL_META_TTL_MS, history.retention.ttlMs);
      for (const [channel, known] of channels) {
        await this.redis.rowcastRecover(
          keys.channelMeta(channel),
          keys.channelHistory(channel),
          known.epoch,
          known.seq,
          newEpoch(clock.now()),
          metaTtl,
          channel,
          keys.gapNotices(),
          identity.id,
        );
      }
      for (const feed of this.feeds.values()) feed.catchUp();
    } catch (err) {
      // Not recovered: forget the instance id so the next script refusal or reconnect recovers again.
      identity.id = '';
      throw err;
    }
  }

  private async runRecoveredListeners(): Promise<void> {
    for (const listener of this.recoveredListeners) {
      try {
        await listener();
      } catch (err) {
        this.logger.error({ err }, 'redis broker: after-recovery work failed');
      }
    }
  }

  /** The last serial this node saw on each channel it subscribes to or recently published on. */
  private knownPositions(): Map<string, { epoch: string; seq: number }> {
    const out = new Map<string, { epoch: string; seq: number }>();
    for (const [channel, { serial }] of this.acked) out.set(channel, parseSerial(serial)!);
    for (const [channel, feed] of this.feeds) {
      if (!feed.epoch) continue;
      const seen = out.get(channel);
      if (!seen || isAfter(formatSerial(feed.epoch, feed.seq), formatSerial(seen.epoch, seen.seq)))
        out.set(channel, { epoch: feed.epoch, seq: feed.seq });
    }
    return out;
  }

  private noteAcked(channel: string, serial: string): void {
    const now = this.opts.clock.now();
    this.acked.delete(channel);
    this.acked.set(channel, { serial, at: now });
    for (const [name, entry] of this.acked) {
      if (entry.at >= now - ACKED_MEMORY_MS) break;
      this.acked.delete(name);
    }
  }

  private onGapNotice(notice: string): void {
    const [channel, epoch, seq] = notice.split('\u0000');
    this.feeds.get(channel)?.gap(epoch, Number(seq));
  }

  private async afterReconnect(): Promise<void> {
    try {
      await this.checkStore();
    } catch (err) {
      this.logger.warn({ err }, 'redis broker: checking the Redis data set failed');
    }
    for (const feed of this.feeds.values()) feed.catchUp();
  }

  private async publishOnce(channel: string, input: ChannelEventInput): Promise<ChannelEvent> {
    const { keys, history, clock } = this.opts;
    const retention = history.retention;
    const serial = await this.redis.rowcastPublish(
      keys.channelMeta(channel),
      keys.channelHistory(channel),
      keys.instance(),
      newEpoch(clock.now()),
      formatTimestamp(input.timestamp),
      history.cutoff(),
      retention.maxEventsPerChannel,
      retention.ttlMs,
      Math.max(CHANNEL_META_TTL_MS, retention.ttlMs),
      encodeEventBody(input),
      keys.channelEvents(channel),
      keys.messageIdPrefix(channel),
      this.opts.idempotencyWindowMs,
      this.opts.identity.id,
      // The event's own id, kept briefly: a publish ioredis sends again after a failover, when the replica that
      // took over already had it, is then a duplicate instead of a second event.
      input.id ?? '',
      RESENT_PUBLISH_WINDOW_MS,
      ...(input.explicitIds ?? []),
    );
    if (serial === null) return { ...input, channel, serial: '', duplicate: true };
    this.noteAcked(channel, serial);
    const event: ChannelEvent = { ...input, channel, serial };
    stampSerials(event);
    return event;
  }

  subscribe(channel: string): void {
    if (this.feeds.has(channel)) return;
    const subscribed = this.sub.subscribe(this.opts.keys.channelEvents(channel));
    const output = {
      deliver: (event: ChannelEvent) => this.listener(event),
      lost: (serial: string, reason: ErrorInfo) => this.discontinuity(channel, serial, reason),
    };
    this.feeds.set(channel, new ChannelFeed(channel, subscribed, this.source, output, this.logger));
  }

  unsubscribe(channel: string): void {
    const feed = this.feeds.get(channel);
    if (!feed) return;
    feed.close();
    this.feeds.delete(channel);
    this.sub.unsubscribe(this.opts.keys.channelEvents(channel)).catch((err) => this.logger.warn({ err, channel }, 'redis unsubscribe failed'));
  }

  setListener(listener: BrokerListener): void {
    this.listener = listener;
  }

  setDiscontinuityListener(listener: DiscontinuityListener): void {
    this.discontinuity = listener;
  }

  /**
   * For a subscribed channel, the last serial this node delivered: everything after it is still to come
   * through the listener, which is what an attach needs. Otherwise the channel's position in Redis.
   */
  async currentSerial(channel: string): Promise<string> {
    const feed = this.feeds.get(channel);
    if (feed) {
      await feed.ready;
      if (this.feeds.get(channel) === feed && feed.epoch) return formatSerial(feed.epoch, feed.seq);
    }
    const pos = await this.position(channel);
    return formatSerial(pos.epoch, pos.seq);
  }

  async close(): Promise<void> {
    for (const feed of this.feeds.values()) feed.close();
    this.feeds.clear();
    this.sub.disconnect();
  }

  private async position(channel: string): Promise<FeedPosition> {
    const { keys, history, clock, identity } = this.opts;
    const metaTtl = Math.max(CHANNEL_META_TTL_MS, history.retention.ttlMs);
    for (let attempt = 0; ; attempt++) {
      await this.settled();
      const instance = identity.id;
      try {
        const [epoch, seq, prevEpoch, prevSeq, base] = await this.redis.rowcastPosition(
          keys.channelMeta(channel),
          keys.instance(),
          newEpoch(clock.now()),
          metaTtl,
          instance,
        );
        return { epoch, seq: Number(seq), prevEpoch: prevEpoch ?? undefined, prevSeq: Number(prevSeq), base: Number(base) };
      } catch (err) {
        if (!isInstanceChanged(err) || attempt >= 2) throw err;
        if (identity.id === instance) await this.recover();
      }
    }
  }
}

/** Whether a script refused to run because Redis is not the data set the node knows. */
function isInstanceChanged(err: unknown): boolean {
  return err instanceof Error && err.message.includes(INSTANCE_CHANGED);
}
