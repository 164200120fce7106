import type { Redis } from 'ioredis';
import { parseSerial, type ChannelEvent, type Clock, type HistoryRetention, type HistoryStore } from '@rowcast/core';
import { decodeRecord, encodeRecord } from './event-record.js';
import type { RedisKeys } from './keys.js';
import { withScripts, type RowcastScripts } from './scripts.js';

/** How long a channel's sequence position outlives its last event (clients may resume from it until then). */
export const CHANNEL_META_TTL_MS = 24 * 3600_000;

/** A node's view of a channel: the last event it delivered to its listener. */
export type HistoryHorizon = (channel: string) => { epoch: string | undefined; seq: number } | undefined;

export interface RedisHistoryOptions {
  redis: Redis;
  keys: RedisKeys;
  retention: HistoryRetention;
  clock: Clock;
}

/**
 * HistoryStore in Redis, shared by every node: a sorted set of event records per channel, scored by seq and
 * trimmed by count and age (from the head, like the memory store) on every append and read. The channel's
 * { epoch, seq } hash tells a reader whether a serial is continuous with what is kept. The RedisBroker appends
 * in its own publish script; `append` is for events sequenced elsewhere.
 */
export class RedisHistoryStore implements HistoryStore {
  private readonly redis: Redis & RowcastScripts;
  private horizon: HistoryHorizon = () => undefined;

  constructor(private readonly opts: RedisHistoryOptions) {
    this.redis = withScripts(opts.redis);
  }

  async append(event: ChannelEvent): Promise<void> {
    const parsed = parseSerial(event.serial);
    if (!parsed) throw new Error(`Unparseable serial ${event.serial}`);
    const { keys, retention } = this.opts;
    await this.redis.rowcastAppend(
      keys.channelMeta(event.channel),
      keys.channelHistory(event.channel),
      parsed.epoch,
      parsed.seq,
      encodeRecord(event),
      this.cutoff(),
      retention.maxEventsPerChannel,
      retention.ttlMs,
      Math.max(CHANNEL_META_TTL_MS, retention.ttlMs),
    );
  }

  async eventsAfter(channel: string, serial: string): Promise<ChannelEvent[] | undefined> {
    const parsed = parseSerial(serial);
    if (!parsed) return undefined;
    const log = await this.read(channel, String(parsed.seq));
    if (!log.epoch) return parsed.seq === 0 ? [] : undefined;
    if (log.epoch !== parsed.epoch && log.prevEpoch === parsed.epoch && parsed.seq >= log.prevSeq) {
      // The serial ended the epoch this one followed (see RECOVER): continuous if the new epoch is kept whole.
      const next = await this.read(channel, '0');
      if (next.epoch !== log.epoch || (next.firstSeq ?? next.lastSeq + 1) > 1) return undefined;
      return this.upToHorizon(channel, next.events);
    }
    if (log.epoch !== parsed.epoch || parsed.seq > log.lastSeq) return undefined;
    const firstKept = log.firstSeq ?? log.lastSeq + 1;
    if (parsed.seq + 1 < firstKept) return undefined; // the gap fell out of retention
    return this.upToHorizon(channel, log.events);
  }

  async events(channel: string): Promise<ChannelEvent[]> {
    return this.upToHorizon(channel, (await this.read(channel, '-inf')).events);
  }

  /**
   * Limits reads to what this node's broker already delivered on channels it subscribes to. Redis may be a
   * few events ahead of the pub/sub stream; an attach that replayed those from history would get them again
   * live. The broker sets this.
   */
  setHorizon(horizon: HistoryHorizon): void {
    this.horizon = horizon;
  }

  private upToHorizon(channel: string, events: ChannelEvent[]): ChannelEvent[] {
    const h = this.horizon(channel);
    if (!h?.epoch) return events;
    let end = events.length;
    while (end > 0) {
      const p = parseSerial(events[end - 1].serial)!;
      if (p.epoch !== h.epoch || p.seq <= h.seq) break;
      end--;
    }
    return end === events.length ? events : events.slice(0, end);
  }

  /** The channel's position and its events after `afterSeq` (a number, or '-inf' for all), trimmed first. */
  async read(
    channel: string,
    afterSeq: string,
  ): Promise<{ epoch?: string; lastSeq: number; firstSeq?: number; prevEpoch?: string; prevSeq: number; events: ChannelEvent[] }> {
    const { keys, retention } = this.opts;
    const [epoch, lastSeq, firstSeq, prevEpoch, prevSeq, ...records] = await this.redis.rowcastReadBuffer(
      keys.channelMeta(channel),
      keys.channelHistory(channel),
      this.cutoff(),
      retention.maxEventsPerChannel,
      afterSeq,
    );
    return {
      epoch: epoch ? epoch.toString() : undefined,
      lastSeq: Number(lastSeq?.toString() ?? 0),
      firstSeq: firstSeq ? Number(firstSeq.toString()) : undefined,
      prevEpoch: prevEpoch ? prevEpoch.toString() : undefined,
      prevSeq: Number(prevSeq?.toString() ?? 0),
      events: records.map((r) => decodeRecord(channel, r as Buffer)),
    };
  }

  /** Events older than this (ms since the epoch) are dropped. */
  cutoff(): number {
    return this.opts.clock.now() - this.opts.retention.ttlMs;
  }

  get retention(): HistoryRetention {
    return this.opts.retention;
  }
}
