import type { Redis } from 'ioredis';
import {
  formatSerial,
  messageSerial,
  newEpoch,
  silentLogger,
  type Broker,
  type BrokerListener,
  type ChannelEvent,
  type ChannelEventInput,
  type Clock,
  type Logger,
} from '@rowcast/core';
import { ChannelFeed, type FeedSource } from './channel-feed.js';
import { encodeEventBody, formatTimestamp } from './event-record.js';
import type { RedisKeys } from './keys.js';
import { CHANNEL_META_TTL_MS, type RedisHistoryStore } from './redis-history-store.js';
import { withScripts, type RowcastScripts } from './scripts.js';

export interface RedisBrokerOptions {
  /** Commands connection (shared with the stores). The broker opens its own subscriber connection from it. */
  redis: Redis;
  keys: RedisKeys;
  /** The history the publish script appends to (same Redis, same keys). */
  history: RedisHistoryStore;
  clock: Clock;
  /** How long explicit message ids are remembered cluster-wide (see ChannelEventInput.explicitIds). */
  idempotencyWindowMs: number;
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
 */
export class RedisBroker implements Broker {
  private readonly redis: Redis & RowcastScripts;
  private readonly sub: Redis;
  private readonly feeds = new Map<string, ChannelFeed>();
  private listener: BrokerListener = () => {};
  private readonly source: FeedSource;
  private readonly logger: Logger;
  private connectedOnce = false;

  constructor(private readonly opts: RedisBrokerOptions) {
    this.redis = withScripts(opts.redis);
    this.logger = opts.logger ?? silentLogger;
    this.sub = opts.redis.duplicate();
    this.sub.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      this.feeds.get(opts.keys.channelOfEvents(channel.toString()))?.push(message);
    });
    // ioredis re-subscribes on reconnect; what was published meanwhile comes from history.
    this.sub.on('ready', () => {
      if (this.connectedOnce) for (const feed of this.feeds.values()) feed.catchUp();
      this.connectedOnce = true;
    });
    this.sub.on('error', (err) => this.logger.warn({ err }, 'redis subscriber connection error'));
    this.source = {
      position: async (channel) => this.position(channel),
      eventsAfter: async (channel, seq) => (await opts.history.read(channel, String(seq))).events,
    };
    opts.history.setHorizon((channel) => this.feeds.get(channel));
  }

  async publish(channel: string, input: ChannelEventInput): Promise<ChannelEvent> {
    const { keys, history, clock } = this.opts;
    const retention = history.retention;
    const serial = await this.redis.rowcastPublish(
      keys.channelMeta(channel),
      keys.channelHistory(channel),
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
      ...(input.explicitIds ?? []),
    );
    if (serial === null) return { ...input, channel, serial: '', duplicate: true };
    const event: ChannelEvent = { ...input, channel, serial };
    event.messages?.forEach((m, i) => {
      m.serial = messageSerial(serial, i);
    });
    return event;
  }

  subscribe(channel: string): void {
    if (this.feeds.has(channel)) return;
    const subscribed = this.sub.subscribe(this.opts.keys.channelEvents(channel));
    this.feeds.set(channel, new ChannelFeed(channel, subscribed, this.source, (e) => this.listener(e), this.logger));
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

  private async position(channel: string): Promise<{ epoch: string; seq: number }> {
    const metaTtl = Math.max(CHANNEL_META_TTL_MS, this.opts.history.retention.ttlMs);
    const [epoch, seq] = await this.redis.rowcastPosition(this.opts.keys.channelMeta(channel), newEpoch(this.opts.clock.now()), metaTtl);
    return { epoch, seq: Number(seq) };
  }
}
