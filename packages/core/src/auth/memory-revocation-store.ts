import type { RevocationStore, TokenRevocation } from './revocation-store.js';

/** RevocationStore of one node: revocations go straight to the node's listeners. */
export class MemoryRevocationStore implements RevocationStore {
  private readonly kept: TokenRevocation[] = [];
  private readonly listeners: Array<(revocations: TokenRevocation[]) => void> = [];

  async revoke(revocations: TokenRevocation[]): Promise<void> {
    this.kept.push(...revocations);
    for (const listener of this.listeners) listener(revocations);
  }

  async subscribe(listener: (revocations: TokenRevocation[]) => void): Promise<void> {
    this.listeners.push(listener);
    if (this.kept.length) listener([...this.kept]);
  }

  async close(): Promise<void> {
    this.listeners.length = 0;
  }
}
