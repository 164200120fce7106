import type { Clock } from '../ports/clock.js';
import type { NonceStore } from './nonce-store.js';

/**
 * NonceStore of one node, in process memory. Expired nonces are dropped in sweeps at most every 30 s, so
 * memory stays bounded by the redemption rate times the longest ttl.
 */
export class MemoryNonceStore implements NonceStore {
  private readonly until = new Map<string, number>();
  private nextSweep = 0;

  constructor(private readonly clock: Clock) {}

  async redeem(keyName: string, nonce: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    this.sweep(now);
    // Key names never contain ':' (the key string splits there), so this id is unambiguous.
    const id = `${keyName}:${nonce}`;
    const until = this.until.get(id);
    if (until !== undefined && until > now) return false;
    this.until.set(id, now + ttlMs);
    return true;
  }

  /** How many nonces are remembered (expired ones included until the next sweep). */
  get size(): number {
    return this.until.size;
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + 30_000;
    for (const [id, until] of this.until) if (until <= now) this.until.delete(id);
  }
}
