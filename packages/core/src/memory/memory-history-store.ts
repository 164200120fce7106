import type { HistoryRetention, HistoryStore } from '../ports/history-store.js';
import type { ChannelEvent } from '../ports/events.js';
import type { Clock } from '../ports/clock.js';
import { parseSerial } from '../channel/serial.js';

interface ChannelLog {
  epoch: string;
  /** Sequence number of the newest event ever appended (kept when events expire). */
  lastSeq: number;
  /** Kept events are events[head..]; the dropped prefix is cut off in bulk, so trimming one event costs O(1). */
  events: ChannelEvent[];
  head: number;
}

/** HistoryStore in process memory, trimmed by age and count on every append and read. */
export class MemoryHistoryStore implements HistoryStore {
  private readonly logs = new Map<string, ChannelLog>();

  constructor(
    private readonly retention: HistoryRetention,
    private readonly clock: Clock,
  ) {
    // Channels nobody reads or writes any more would otherwise hold their last events forever. The per-channel
    // record (epoch, last seq) stays: it is what tells a late resume that nothing was missed.
    setInterval(
      () => {
        for (const log of this.logs.values()) this.trim(log);
      },
      Math.max(1000, retention.ttlMs / 2),
    ).unref();
  }

  async append(event: ChannelEvent): Promise<void> {
    const parsed = parseSerial(event.serial);
    if (!parsed) throw new Error(`Unparseable serial ${event.serial}`);
    let log = this.logs.get(event.channel);
    if (!log || log.epoch !== parsed.epoch) {
      log = { epoch: parsed.epoch, lastSeq: 0, events: [], head: 0 };
      this.logs.set(event.channel, log);
    }
    log.events.push(event);
    log.lastSeq = parsed.seq;
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

  private trim(log: ChannelLog): void {
    const oldest = this.clock.now() - this.retention.ttlMs;
    const { events } = log;
    let head = Math.max(log.head, events.length - this.retention.maxEventsPerChannel);
    while (head < events.length && events[head].timestamp < oldest) head++;
    if (head > 1024 && head * 2 > events.length) {
      log.events = events.slice(head);
      head = 0;
    } else if (head === events.length) {
      log.events = [];
      head = 0;
    }
    log.head = head;
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
