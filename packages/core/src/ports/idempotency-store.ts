/**
 * Remembers the explicit message ids published on each channel, so that a message published twice with the
 * same id (an idempotent REST retry, the change stream re-sending after a crash or a failover) reaches the
 * channel once.
 *
 * Guarantees every implementation must give: for one (channel, id), exactly one call ever answers "first"
 * within `windowMs`, however many nodes ask at once; ids of one call are recorded in order, so an id repeated
 * inside a call is first only at its first position.
 */
export interface IdempotencyStore {
  /** Records `ids` on `channel`; answers, for each, whether this is its first sighting inside the window. */
  firstSightings(channel: string, ids: string[]): Promise<boolean[]>;
  /**
   * The same answer at once, for a store that keeps its records in this process: the publish path then skips the
   * per-channel queue and its promises (the change stream checks one record per transaction).
   */
  firstSightingsNow?(channel: string, ids: string[]): boolean[];
}
