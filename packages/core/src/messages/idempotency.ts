/**
 * Remembers explicit message ids per channel for at least `windowMs` (and at most twice that), to drop
 * duplicates of idempotent publishes. Two generations rotate so memory stays bounded without per-id timers.
 */
export class IdempotencyWindow {
  private current = new Set<string>();
  private previous = new Set<string>();
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
    const key = `${channel}\u0000${id}`;
    if (this.current.has(key) || this.previous.has(key)) return false;
    this.current.add(key);
    return true;
  }

  private rotate(): void {
    const t = this.now();
    if (t - this.rotatedAt < this.windowMs) return;
    // Two windows without a call means both generations are stale.
    this.previous = t - this.rotatedAt < 2 * this.windowMs ? this.current : new Set();
    this.current = new Set();
    this.rotatedAt = t;
  }
}
