import type { HistoryRetention, HistoryStore } from '../ports/history-store.js';
import type { ChannelEvent } from '../ports/events.js';
import type { Clock } from '../ports/clock.js';
import { parseSerial } from '../channel/serial.js';

interface ChannelLog {
  epoch: string;
  /** Sequence number of the newest event ever appended (kept when events expire). */
  lastSeq: number;
  events: ChannelEvent[];
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
    setInterval(() => {
      for (const log of this.logs.values()) this.trim(log);
    }, Math.max(1000, retention.ttlMs / 2)).unref();
  }

  async append(event: ChannelEvent): Promise<void> {
    const parsed = parseSerial(event.serial);
    if (!parsed) throw new Error(`Unparseable serial ${event.serial}`);
    let log = this.logs.get(event.channel);
    if (!log || log.epoch !== parsed.epoch) {
      log = { epoch: parsed.epoch, lastSeq: 0, events: [] };
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
    const firstKept = log.events.length ? parseSerial(log.events[0].serial)!.seq : log.lastSeq + 1;
    if (parsed.seq + 1 < firstKept) return undefined; // the gap fell out of retention
    const from = firstIndexAfter(log.events, parsed.seq);
    return log.events.slice(from);
  }

  async events(channel: string): Promise<ChannelEvent[]> {
    const log = this.logs.get(channel);
    if (!log) return [];
    this.trim(log);
    return log.events.slice();
  }

  private trim(log: ChannelLog): void {
    const oldest = this.clock.now() - this.retention.ttlMs;
    let drop = Math.max(0, log.events.length - this.retention.maxEventsPerChannel);
    while (drop < log.events.length && log.events[drop].timestamp < oldest) drop++;
    if (drop > 0) log.events.splice(0, drop);
  }
}

/** Index of the first event whose seq is greater than `seq` (events are sorted by seq). */
function firstIndexAfter(events: ChannelEvent[], seq: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (parseSerial(events[mid].serial)!.seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
