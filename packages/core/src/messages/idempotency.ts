/**
 * Remembers explicit message ids per channel for at least `windowMs` (and at most twice that), to drop
 * duplicates of idempotent publishes. Two generations rotate so memory stays bounded without per-id timers.
 * Each generation holds a set of ids per channel: the ids themselves are kept, with no key string built per
 * id (the change stream records one per transaction, thousands a second, all held for the window).
 */
export class IdempotencyWindow {
  private current = new Map<string, Set<string>>();
  private previous = new Map<string, Set<string>>();
  private rotatedAt: number;

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {
    this.rotatedAt = now();
  }

  /** Records `id` on `channel`; returns false when it was already seen inside the window. */
  firstSighting(channel: string, id: string): boolean {
    this.rotate();
    let ids = this.current.get(channel);
    if (ids?.has(id) || this.previous.get(channel)?.has(id)) return false;
    if (!ids) this.current.set(channel, (ids = new Set()));
    ids.add(id);
    return true;
  }

  private rotate(): void {
    const t = this.now();
    if (t - this.rotatedAt < this.windowMs) return;
    // Two windows without a call means both generations are stale.
    this.previous = t - this.rotatedAt < 2 * this.windowMs ? this.current : new Map();
    this.current = new Map();
    this.rotatedAt = t;
  }
}
