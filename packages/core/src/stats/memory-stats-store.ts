import { keepNearest, type MinuteStats, type StatsStore } from './stats-store.js';

interface Minute {
  /** When it was last written: retention counts from here, so fixtures for past dates live as long as new traffic. */
  touched: number;
  sums: Map<string, number>;
  peaks: Map<string, Record<string, number>>;
}

/** StatsStore of one node without a database or Redis: kept for `retentionMs` (default 7 days). */
export class MemoryStatsStore implements StatsStore {
  private readonly byMinute = new Map<number, Minute>();

  constructor(
    private readonly retentionMs = 7 * 24 * 3600_000,
    private readonly now: () => number = Date.now,
  ) {}

  async add(minute: number, sums: Record<string, number>, peaks: Record<string, number>, nodeId: string): Promise<void> {
    let m = this.byMinute.get(minute);
    if (!m) {
      this.expire();
      this.byMinute.set(minute, (m = { touched: 0, sums: new Map(), peaks: new Map() }));
    }
    m.touched = this.now();
    for (const [name, v] of Object.entries(sums)) m.sums.set(name, (m.sums.get(name) ?? 0) + v);
    if (Object.keys(peaks).length) m.peaks.set(nodeId, { ...m.peaks.get(nodeId), ...peaks });
  }

  async minutes(from: number, to: number, nearest?: { count: number; direction: 'forwards' | 'backwards' }): Promise<MinuteStats[]> {
    const out: MinuteStats[] = [];
    for (const [minute, m] of this.byMinute) {
      if (minute < from || minute >= to) continue;
      const entries: Record<string, number> = Object.fromEntries(m.sums);
      for (const levels of m.peaks.values()) for (const [name, v] of Object.entries(levels)) entries[name] = (entries[name] ?? 0) + v;
      out.push({ minute, entries });
    }
    return keepNearest(
      out.sort((a, b) => a.minute - b.minute),
      nearest,
    );
  }

  /** Drops minutes not written for longer than the retention (checked when a minute is added: once a minute). */
  private expire(): void {
    const oldest = this.now() - this.retentionMs;
    for (const [minute, m] of this.byMinute) if (m.touched < oldest) this.byMinute.delete(minute);
  }
}
