import type { MessageAnnotations } from '@rowcast/protocol';
import type { AcceptedAnnotation, AcceptedMessage } from '../node-api.js';
import type { Clock } from '../ports/clock.js';
import type { HistoryRetention } from '../ports/history-store.js';
import type { AnnotationPageRequest, MessageStore, VersionPageRequest } from '../ports/message-store.js';

interface MessageEntry {
  latest: AcceptedMessage;
  /** Every version recorded, in version-serial order (the create first). */
  versions: AcceptedMessage[];
  annotations: AcceptedAnnotation[];
  summary?: { value: MessageAnnotations; asOf: string };
  /** Last write: an entry expires `ttlMs` after it, like the history event it belongs to. */
  touchedAt: number;
}

/** Serials of one channel sort as strings (channel/serial.ts: fixed-width, epoch first). */
function versionSerial(m: AcceptedMessage): string {
  return m.version?.serial ?? m.serial;
}

/**
 * MessageStore in process memory, with history's retention: an entry goes `ttlMs` after its last change, and a
 * channel keeps at most `maxEventsPerChannel` messages (oldest created first out). Holds references to the
 * accepted objects the history store also holds, so recording a create costs a map entry, not a copy.
 */
export class MemoryMessageStore implements MessageStore {
  private readonly channels = new Map<string, Map<string, MessageEntry>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly retention: HistoryRetention,
    private readonly clock: Clock,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, retention.ttlMs / 2));
    this.sweeper.unref();
  }

  async record(channel: string, messages: AcceptedMessage[]): Promise<void> {
    const now = this.clock.now();
    let entries = this.channels.get(channel);
    if (!entries) {
      entries = new Map();
      this.channels.set(channel, entries);
    }
    for (const m of messages) {
      const entry = entries.get(m.serial);
      if (!entry) {
        entries.set(m.serial, { latest: m, versions: [m], annotations: [], touchedAt: now });
        continue;
      }
      entry.touchedAt = now;
      const v = versionSerial(m);
      let at = entry.versions.length;
      while (at > 0 && versionSerial(entry.versions[at - 1]) > v) at--;
      entry.versions.splice(at, 0, m);
      if (v > versionSerial(entry.latest)) entry.latest = m;
    }
    while (entries.size > this.retention.maxEventsPerChannel) {
      const oldest = entries.keys().next().value as string;
      entries.delete(oldest);
    }
  }

  async latest(channel: string, serials: string[]): Promise<Array<AcceptedMessage | undefined>> {
    const entries = this.channels.get(channel);
    return serials.map((serial) => {
      const entry = this.live(entries?.get(serial));
      if (!entry) return undefined;
      return entry.summary ? { ...entry.latest, annotations: entry.summary.value } : entry.latest;
    });
  }

  async versions(channel: string, serial: string, request: VersionPageRequest): Promise<AcceptedMessage[]> {
    const entry = this.live(this.channels.get(channel)?.get(serial));
    if (!entry) return [];
    const forwards = request.direction === 'forwards';
    const ordered = forwards ? entry.versions : [...entry.versions].reverse();
    const after = request.after;
    const from = after === undefined ? ordered : ordered.filter((m) => (forwards ? versionSerial(m) > after : versionSerial(m) < after));
    return from.slice(0, request.limit);
  }

  async addAnnotation(channel: string, annotation: AcceptedAnnotation): Promise<AcceptedAnnotation[]> {
    const entry = this.live(this.channels.get(channel)?.get(annotation.messageSerial));
    if (!entry) return [annotation];
    entry.touchedAt = this.clock.now();
    let at = entry.annotations.length;
    while (at > 0 && entry.annotations[at - 1].serial > annotation.serial) at--;
    entry.annotations.splice(at, 0, annotation);
    return [...entry.annotations];
  }

  async annotations(channel: string, messageSerial: string, request: AnnotationPageRequest): Promise<AcceptedAnnotation[]> {
    const entry = this.live(this.channels.get(channel)?.get(messageSerial));
    if (!entry) return [];
    const after = request.after;
    const from = after === undefined ? entry.annotations : entry.annotations.filter((a) => a.serial > after);
    return from.slice(0, request.limit);
  }

  async setSummary(channel: string, serial: string, summary: MessageAnnotations, asOf: string): Promise<void> {
    const entry = this.live(this.channels.get(channel)?.get(serial));
    if (!entry) return;
    if (entry.summary && entry.summary.asOf >= asOf) return;
    entry.summary = { value: summary, asOf };
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  /** Drops entries past their time, and channels left empty. */
  sweep(): void {
    const expiredBefore = this.clock.now() - this.retention.ttlMs;
    for (const [channel, entries] of this.channels) {
      for (const [serial, entry] of entries) if (entry.touchedAt < expiredBefore) entries.delete(serial);
      if (entries.size === 0) this.channels.delete(channel);
    }
  }

  /** The entry unless it expired since the last sweep (reads never show what history no longer would). */
  private live(entry: MessageEntry | undefined): MessageEntry | undefined {
    if (!entry || entry.touchedAt < this.clock.now() - this.retention.ttlMs) return undefined;
    return entry;
  }
}
