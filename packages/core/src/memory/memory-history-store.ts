import type { HistoryPageRequest, HistoryRetention, HistorySize, HistoryStore } from '../ports/history-store.js';
import type { ChannelEvent } from '../ports/events.js';
import type { Clock } from '../ports/clock.js';
import { parseSerial } from '../channel/serial.js';
import { pageSeqRange } from '../channel/page-range.js';
import { withoutEphemeral } from '../messages/ephemeral.js';
import { cutDroppedPrefix } from './dropped-prefix.js';

/**
 * How long an empty channel's record (epoch, last seq) is kept after its last event expired. Only a resume or a
 * recover needs it, to tell "nothing happened since" from "lost", and neither is possible once a connection's
 * state has expired (2 minutes by default); past this the record is forgotten so idle channels cost nothing.
 */
const EMPTY_RECORD_GRACE_MS = 10 * 60_000;

interface ChannelLog {
  epoch: string;
  /** Sequence number of the newest event ever appended (kept when events expire). */
  lastSeq: number;
  /** When the newest event was appended. */
  lastAppendAt: number;
  /** Kept events are events[head..]; the dropped prefix is cut off in bulk, so trimming one event costs O(1). */
  events: ChannelEvent[];
  head: number;
}

/** HistoryStore in process memory, trimmed by age and count on every append and read. */
export class MemoryHistoryStore implements HistoryStore {
  private readonly logs = new Map<string, ChannelLog>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly retention: HistoryRetention,
    private readonly clock: Clock,
  ) {
    // Channels nobody reads or writes any more would otherwise hold their last events forever. The per-channel
    // record (epoch, last seq) stays while a late resume could still ask about it, then goes too.
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, retention.ttlMs / 2));
    this.sweeper.unref();
  }

  /** Trims every channel and forgets the records of channels empty for longer than a resume could need them. */
  sweep(): void {
    const forgetBefore = this.clock.now() - this.retention.ttlMs - EMPTY_RECORD_GRACE_MS;
    for (const [channel, log] of this.logs) {
      this.trim(log);
      if (log.head === log.events.length && log.lastAppendAt < forgetBefore) this.logs.delete(channel);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  /** Channels with a record (events or a remembered position); for tests of the sweep. */
  get channelCount(): number {
    return this.logs.size;
  }

  async size(): Promise<HistorySize> {
    let channels = 0;
    let events = 0;
    for (const log of this.logs.values()) {
      this.trim(log);
      const held = log.events.length - log.head;
      if (held > 0) channels++;
      events += held;
    }
    return { channels, events };
  }

  async append(event: ChannelEvent): Promise<void> {
    const parsed = parseSerial(event.serial);
    if (!parsed) throw new Error(`Unparseable serial ${event.serial}`);
    let log = this.logs.get(event.channel);
    if (!log || log.epoch !== parsed.epoch) {
      log = { epoch: parsed.epoch, lastSeq: 0, lastAppendAt: 0, events: [], head: 0 };
      this.logs.set(event.channel, log);
    }
    // Ephemeral messages are never kept; the event stays (maybe empty) so the serial sequence has no hole.
    log.events.push(withoutEphemeral(event));
    log.lastSeq = parsed.seq;
    log.lastAppendAt = this.clock.now();
    this.trim(log);
  }

  async eventsAfter(channel: string, serial: string): Promise<ChannelEvent[] | undefined> {
    const parsed = parseSerial(serial);
    if (!parsed) return undefined;
    const log = this.logs.get(channel);
    // Nothing was ever appended here: a zero serial is still continuous (nothing happened since).
    if (!log) return parsed.seq === 0 ? [] : undefined;
    this.trim(log);
    if (log.epoch !== parsed.epoch || parsed.seq > log.lastSeq) return undefined;
    const firstKept = log.head < log.events.length ? parseSerial(log.events[log.head].serial)!.seq : log.lastSeq + 1;
    if (parsed.seq + 1 < firstKept) return undefined; // the gap fell out of retention
    return log.events.slice(firstIndexAfter(log.events, log.head, parsed.seq));
  }

  async events(channel: string): Promise<ChannelEvent[]> {
    const log = this.logs.get(channel);
    if (!log) return [];
    this.trim(log);
    return log.events.slice(log.head);
  }

  async page(channel: string, request: HistoryPageRequest): Promise<ChannelEvent[]> {
    const log = this.logs.get(channel);
    if (!log) return [];
    this.trim(log);
    const range = pageSeqRange(log.epoch, request);
    if (!range) return [];
    const { events } = log;
    const lo = firstIndexAfter(events, log.head, range.min - 1);
    const hi = firstIndexAfter(events, lo, range.max); // exclusive
    const out: ChannelEvent[] = [];
    const forwards = request.direction === 'forwards';
    for (let n = 0; n < hi - lo && out.length < request.limit; n++) {
      const e = events[forwards ? lo + n : hi - 1 - n];
      if ((request.since === undefined || e.timestamp >= request.since) && (request.until === undefined || e.timestamp <= request.until)) out.push(e);
    }
    return out;
  }

  private trim(log: ChannelLog): void {
    const oldest = this.clock.now() - this.retention.ttlMs;
    const { events } = log;
    let head = Math.max(log.head, events.length - this.retention.maxEventsPerChannel);
    while (head < events.length && events[head].timestamp < oldest) head++;
    ({ items: log.events, head: log.head } = cutDroppedPrefix(events, head));
  }
}

/** Index of the first event at or after `from` whose seq is greater than `seq` (events are sorted by seq). */
function firstIndexAfter(events: ChannelEvent[], from: number, seq: number): number {
  let lo = from;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (parseSerial(events[mid].serial)!.seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
