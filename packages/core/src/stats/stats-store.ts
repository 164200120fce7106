/** One minute of stats: its start (ms, UTC) and its entries, named as in Ably's app-stats schema. */
export interface MinuteStats {
  minute: number;
  entries: Record<string, number>;
}

/**
 * Where per-minute stats are kept: memory (one node), Redis (a cluster without a database) or PostgreSQL. Every
 * node adds only the traffic it handled itself, so a message is counted once however many nodes there are.
 */
export interface StatsStore {
  /**
   * Adds `sums` to the minute's entries, and records `peaks` as node `nodeId`'s levels for that minute (a
   * node's later report for the same minute replaces its earlier one; the levels of all nodes add up).
   * Atomic per call as far as readers see it only per entry.
   */
  add(minute: number, sums: Record<string, number>, peaks: Record<string, number>, nodeId: string): Promise<void>;
  /**
   * The minutes in [from, to) that have entries, oldest first, each entry totalled over nodes. With `nearest`,
   * only that many: the earliest (`forwards`) or the latest (`backwards`) of the range.
   */
  minutes(from: number, to: number, nearest?: { count: number; direction: 'forwards' | 'backwards' }): Promise<MinuteStats[]>;
}

/** The minutes a `nearest` bound keeps of a sorted list (oldest first). */
export function keepNearest<T>(sorted: T[], nearest?: { count: number; direction: 'forwards' | 'backwards' }): T[] {
  if (!nearest || sorted.length <= nearest.count) return sorted;
  return nearest.direction === 'forwards' ? sorted.slice(0, nearest.count) : sorted.slice(sorted.length - nearest.count);
}
