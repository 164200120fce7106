import type { Redis } from 'ioredis';
import {
  formatSerial,
  pageSeqRange,
  parseSerial,
  type ChannelEvent,
  type Clock,
  type HistoryPageRequest,
  type HistoryRetention,
  type HistorySize,
  type HistoryStore,
  type ParsedSerial,
} from '@rowcast/core';
import { decodeRecord, encodeRecord } from './event-record.js';
import type { RedisKeys } from './keys.js';
import { withScripts, type RowcastScripts } from './scripts.js';

/** How long a channel's sequence position outlives its last event (clients may resume from it until then). */
export const CHANNEL_META_TTL_MS = 24 * 3600_000;

/** A channel's position and kept events, as the READ script returns them (prev*, base: see RECOVER). */
export interface HistoryRead {
  epoch?: string;
  lastSeq: number;
  firstSeq?: number;
  prevEpoch?: string;
  prevSeq: number;
  prevKept: number;
  base: number;
  events: ChannelEvent[];
}

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
    if (log.epoch !== parsed.epoch) return log.prevEpoch === parsed.epoch ? this.acrossRecovery(channel, parsed, log) : undefined;
    if (parsed.seq > log.lastSeq) return undefined;
    const firstKept = log.firstSeq ?? log.lastSeq + 1;
    if (parsed.seq + 1 < firstKept) return undefined; // the gap fell out of retention
    return this.upToHorizon(channel, log.events);
  }

  /**
   * Events after a serial of the epoch a recovery ended (see RECOVER): continuous when the reader saw that epoch
   * to its recorded end, or when Redis kept all of it from just after the serial; then the rest of the old epoch
   * and the new one from its base, provided the new one's first events are still kept.
   */
  private async acrossRecovery(channel: string, from: ParsedSerial, log: HistoryRead): Promise<ChannelEvent[] | undefined> {
    const sawAll = from.seq >= log.prevSeq;
    const keptAll = log.prevKept >= log.prevSeq && (log.firstSeq ?? log.base + 1) <= from.seq + 1;
    if (!sawAll && !keptAll) return undefined;
    const all = from.seq <= log.base ? log : await this.read(channel, String(log.base));
    const events = all.events.filter((e) => {
      const p = parseSerial(e.serial)!;
      return p.epoch === log.epoch ? p.seq > log.base : p.epoch === from.epoch && p.seq > from.seq;
    });
    const firstNew = events.find((e) => parseSerial(e.serial)!.epoch === log.epoch);
    if (log.lastSeq > log.base && (!firstNew || parseSerial(firstNew.serial)!.seq !== log.base + 1)) return undefined;
    return this.upToHorizon(channel, events);
  }

  async events(channel: string): Promise<ChannelEvent[]> {
    return this.upToHorizon(channel, (await this.read(channel, '-inf')).events);
  }

  async page(channel: string, request: HistoryPageRequest): Promise<ChannelEvent[]> {
    const { keys, retention } = this.opts;
    // The range depends on the channel's epoch; the script answers with the epoch alone if it changed meanwhile.
    let [epoch, prevEpoch] = await this.redis.hmget(keys.channelMeta(channel), 'epoch', 'prevEpoch');
    for (let attempt = 0; epoch && attempt < 3; attempt++) {
      // After a recovery the new epoch numbers on from the old one (scores keep rising), so a bound in the old
      // epoch is the same position in the new one.
      const rescale = (serial: string | undefined) => {
        const p = parseSerial(serial);
        return p && prevEpoch && p.epoch === prevEpoch ? formatSerial(epoch!, p.seq) : serial;
      };
      const range = pageSeqRange(epoch, { ...request, after: rescale(request.after), notAfter: rescale(request.notAfter) });
      if (!range) return [];
      const h = this.horizon(channel);
      const max = h && (h.epoch === epoch || h.epoch === prevEpoch) ? Math.min(range.max, h.seq) : range.max;
      if (max < range.min) return [];
      const [current, ...records] = await this.redis.rowcastReadPageBuffer(
        keys.channelMeta(channel),
        keys.channelHistory(channel),
        this.cutoff(),
        retention.maxEventsPerChannel,
        epoch,
        range.min,
        max === Number.POSITIVE_INFINITY ? '+inf' : max,
        request.direction === 'forwards' ? 'f' : 'b',
        request.limit,
        request.since ?? '',
        request.until ?? '',
      );
      const currentEpoch = current?.toString();
      if (currentEpoch === epoch) return records.map((r) => decodeRecord(channel, r as Buffer));
      [epoch, prevEpoch] = await this.redis.hmget(keys.channelMeta(channel), 'epoch', 'prevEpoch');
    }
    return [];
  }

  /**
   * Every history key of the cluster, counted at scrape time: SCAN in batches (never KEYS, which would block
   * Redis) and one pipelined ZCARD per batch. A channel's expired events count until its next read or append
   * trims them: they are what Redis holds.
   */
  async size(): Promise<HistorySize> {
    const pattern = `${this.opts.keys.channelHistory('*')}`;
    let channels = 0;
    let events = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (!keys.length) continue;
      const pipeline = this.redis.pipeline();
      for (const key of keys) pipeline.zcard(key);
      for (const [err, n] of (await pipeline.exec()) ?? []) {
        if (err || !n) continue;
        channels++;
        events += n as number;
      }
    } while (cursor !== '0');
    return { channels, events };
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
  async read(channel: string, afterSeq: string): Promise<HistoryRead> {
    const { keys, retention } = this.opts;
    const [epoch, lastSeq, firstSeq, prevEpoch, prevSeq, prevKept, base, ...records] = await this.redis.rowcastReadBuffer(
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
      prevKept: Number(prevKept?.toString() ?? 0),
      base: Number(base?.toString() ?? 0),
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
