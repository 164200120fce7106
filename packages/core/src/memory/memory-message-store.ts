import type { MessageAnnotations } from '@rowcast/protocol';
import type { AcceptedAnnotation, AcceptedMessage } from '../node-api.js';
import type { Clock } from '../ports/clock.js';
import type { HistoryRetention } from '../ports/history-store.js';
import type { AnnotationPageRequest, MessageStore, VersionPageRequest } from '../ports/message-store.js';
import { cutDroppedPrefix } from './dropped-prefix.js';

/** A message that changed or was annotated after its create. */
interface ChangedEntry {
  /** The latest version; absent when only annotations were recorded for a create this store no longer has. */
  latest?: AcceptedMessage;
  /** Every version recorded, in version-serial order (the create first when known). */
  versions: AcceptedMessage[];
  annotations: AcceptedAnnotation[];
  summary?: { value: MessageAnnotations; asOf: string };
  /** Last write: the entry expires `ttlMs` after it. */
  touchedAt: number;
}

/**
 * A channel's creates: by serial for lookups, and in acceptance order for eviction (oldest first). The order is an
 * array with a moving head, not the Map's own insertion order: taking a Map's first key after many deletes from its
 * front walks over every deleted slot until V8 rehashes, which cost ~8 µs per create at 10,000 kept (write-path
 * profile: 12% of the change stream's busy time).
 */
interface CreatedLog {
  bySerial: Map<string, AcceptedMessage>;
  /** Kept creates are order[head..], in acceptance order (some may have left bySerial's count limit already). */
  order: AcceptedMessage[];
  head: number;
}

/** Serials of one channel sort as strings (channel/serial.ts: fixed-width, epoch first). */
function versionSerial(m: AcceptedMessage): string {
  return m.version?.serial ?? m.serial;
}

/**
 * MessageStore in process memory, with history's retention: a create is kept `ttlMs` after its timestamp and a
 * changed message `ttlMs` after its last change; a channel keeps at most `maxEventsPerChannel` creates (oldest
 * first out). A create costs one map entry referring to the accepted object history also holds (publishing is
 * the hot path); only messages that change or get annotations get an entry of their own.
 */
export class MemoryMessageStore implements MessageStore {
  private readonly created = new Map<string, CreatedLog>();
  private readonly changed = new Map<string, Map<string, ChangedEntry>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly retention: HistoryRetention,
    private readonly clock: Clock,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, retention.ttlMs / 2));
    this.sweeper.unref();
  }

  async record(channel: string, messages: AcceptedMessage[]): Promise<void> {
    for (const m of messages) {
      if (!m.action) this.recordCreate(channel, m);
      else this.recordVersion(channel, m);
    }
  }

  async latest(channel: string, serials: string[]): Promise<Array<AcceptedMessage | undefined>> {
    const changed = this.changed.get(channel);
    const created = this.created.get(channel);
    return serials.map((serial) => {
      const entry = this.live(changed?.get(serial));
      if (entry?.latest) return entry.summary ? { ...entry.latest, annotations: entry.summary.value } : entry.latest;
      return this.liveCreate(created?.bySerial.get(serial));
    });
  }

  async versions(channel: string, serial: string, request: VersionPageRequest): Promise<AcceptedMessage[]> {
    const entry = this.live(this.changed.get(channel)?.get(serial));
    const create = this.liveCreate(this.created.get(channel)?.bySerial.get(serial));
    const all = entry ? entry.versions : create ? [create] : [];
    const forwards = request.direction === 'forwards';
    const ordered = forwards ? all : [...all].reverse();
    const after = request.after;
    const from = after === undefined ? ordered : ordered.filter((m) => (forwards ? versionSerial(m) > after : versionSerial(m) < after));
    return from.slice(0, request.limit);
  }

  async addAnnotation(channel: string, annotation: AcceptedAnnotation): Promise<AcceptedAnnotation[]> {
    const entry = this.entryFor(channel, annotation.messageSerial);
    let at = entry.annotations.length;
    while (at > 0 && entry.annotations[at - 1].serial > annotation.serial) at--;
    entry.annotations.splice(at, 0, annotation);
    return [...entry.annotations];
  }

  async annotations(channel: string, messageSerial: string, request: AnnotationPageRequest): Promise<AcceptedAnnotation[]> {
    const entry = this.live(this.changed.get(channel)?.get(messageSerial));
    if (!entry) return [];
    const after = request.after;
    const from = after === undefined ? entry.annotations : entry.annotations.filter((a) => a.serial > after);
    return from.slice(0, request.limit);
  }

  async setSummary(channel: string, serial: string, summary: MessageAnnotations, asOf: string): Promise<void> {
    const entry = this.entryFor(channel, serial);
    if (entry.summary && entry.summary.asOf >= asOf) return;
    entry.summary = { value: summary, asOf };
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  /** Drops what is past its time, and channels left empty. */
  sweep(): void {
    const cutoff = this.clock.now() - this.retention.ttlMs;
    for (const [channel, log] of this.created) {
      // acceptance order: stop at the first create still kept
      while (log.head < log.order.length && log.order[log.head].timestamp < cutoff) dropOldest(log);
      compact(log);
      if (log.bySerial.size === 0) this.created.delete(channel);
    }
    for (const [channel, entries] of this.changed) {
      for (const [serial, entry] of entries) if (entry.touchedAt < cutoff) entries.delete(serial);
      if (entries.size === 0) this.changed.delete(channel);
    }
  }

  private recordCreate(channel: string, m: AcceptedMessage): void {
    let log = this.created.get(channel);
    if (!log) this.created.set(channel, (log = { bySerial: new Map(), order: [], head: 0 }));
    log.bySerial.set(m.serial, m);
    log.order.push(m);
    if (log.bySerial.size > this.retention.maxEventsPerChannel) {
      dropOldest(log);
      compact(log);
    }
  }

  private recordVersion(channel: string, m: AcceptedMessage): void {
    const entry = this.entryFor(channel, m.serial);
    const v = versionSerial(m);
    let at = entry.versions.length;
    while (at > 0 && versionSerial(entry.versions[at - 1]) > v) at--;
    entry.versions.splice(at, 0, m);
    if (!entry.latest || v > versionSerial(entry.latest)) entry.latest = m;
  }

  /** The changed-message entry of `serial` (made from its create when there is none yet), touched now. */
  private entryFor(channel: string, serial: string): ChangedEntry {
    let entries = this.changed.get(channel);
    if (!entries) this.changed.set(channel, (entries = new Map()));
    const now = this.clock.now();
    let entry = this.live(entries.get(serial));
    if (!entry) {
      const create = this.liveCreate(this.created.get(channel)?.bySerial.get(serial));
      entry = { latest: create, versions: create ? [create] : [], annotations: [], touchedAt: now };
      entries.set(serial, entry);
    }
    entry.touchedAt = now;
    return entry;
  }

  /** The entry unless it expired since the last sweep (reads never show what history no longer would). */
  private live(entry: ChangedEntry | undefined): ChangedEntry | undefined {
    if (!entry || entry.touchedAt < this.clock.now() - this.retention.ttlMs) return undefined;
    return entry;
  }

  private liveCreate(m: AcceptedMessage | undefined): AcceptedMessage | undefined {
    if (!m || m.timestamp < this.clock.now() - this.retention.ttlMs) return undefined;
    return m;
  }
}

function dropOldest(log: CreatedLog): void {
  log.bySerial.delete(log.order[log.head++].serial);
}

function compact(log: CreatedLog): void {
  ({ items: log.order, head: log.head } = cutDroppedPrefix(log.order, log.head));
}
