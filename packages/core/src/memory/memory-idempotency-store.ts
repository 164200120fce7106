import type { Clock } from '../ports/clock.js';
import type { IdempotencyStore } from '../ports/idempotency-store.js';
import { IdempotencyWindow } from '../messages/idempotency.js';

/** IdempotencyStore of one node, in process memory. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly window: IdempotencyWindow;

  constructor(windowMs: number, clock: Clock) {
    this.window = new IdempotencyWindow(windowMs, () => clock.now());
  }

  async firstSightings(channel: string, ids: string[]): Promise<boolean[]> {
    return this.firstSightingsNow(channel, ids);
  }

  firstSightingsNow(channel: string, ids: string[]): boolean[] {
    return ids.map((id) => this.window.firstSighting(channel, id));
  }
}
