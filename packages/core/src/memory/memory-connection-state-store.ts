import type { Clock } from '../ports/clock.js';
import type { ConnectionStateStore, ResumableConnection } from '../ports/connection-state-store.js';

/** ConnectionStateStore in process memory (for the shared suite and single-process clusters in tests). */
export class MemoryConnectionStateStore implements ConnectionStateStore {
  private readonly byId = new Map<string, { state: ResumableConnection; expires: number }>();
  private readonly idByKey = new Map<string, string>();

  constructor(private readonly clock: Clock) {}

  async save(state: ResumableConnection, ttlMs: number): Promise<void> {
    const old = this.byId.get(state.connectionId);
    if (old && old.state.key !== state.key) this.idByKey.delete(old.state.key);
    this.byId.set(state.connectionId, { state: structuredClone(state), expires: this.clock.now() + ttlMs });
    this.idByKey.set(state.key, state.connectionId);
  }

  async claim(key: string): Promise<ResumableConnection | undefined> {
    const id = this.idByKey.get(key);
    if (id === undefined) return undefined;
    this.idByKey.delete(key);
    const kept = this.live(id);
    return kept && kept.state.key === key ? structuredClone(kept.state) : undefined;
  }

  async connectionIdOf(key: string): Promise<string | undefined> {
    const id = this.idByKey.get(key);
    return id !== undefined && this.live(id)?.state.key === key ? id : undefined;
  }

  async holder(connectionId: string): Promise<string | undefined> {
    return this.live(connectionId)?.state.nodeId;
  }

  async remove(connectionId: string): Promise<void> {
    const kept = this.byId.get(connectionId);
    if (!kept) return;
    this.byId.delete(connectionId);
    this.idByKey.delete(kept.state.key);
  }

  private live(connectionId: string) {
    const kept = this.byId.get(connectionId);
    if (kept && kept.expires <= this.clock.now()) {
      this.byId.delete(connectionId);
      this.idByKey.delete(kept.state.key);
      return undefined;
    }
    return kept;
  }
}
