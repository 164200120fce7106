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
  /** The minutes in [from, to) that have entries, oldest first, each entry totalled over nodes. */
  minutes(from: number, to: number): Promise<MinuteStats[]>;
}
