/**
 * Async work run one at a time per key, in call order: a turn starts when the previous turn of its key settled
 * (either way, so one failure does not stop the ones behind it). Keys with nothing queued cost nothing.
 */
export class KeyedTurns {
  /** Per key, the last turn still queued or running. */
  private readonly last = new Map<string, Promise<unknown>>();

  /** True while a turn of `key` is queued or running. */
  busy(key: string): boolean {
    return this.last.has(key);
  }

  /** Runs `work` after the previous turn of `key`; resolves or rejects as `work` does. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const ahead = this.last.get(key);
    const mine = ahead ? ahead.catch(() => undefined).then(work) : work();
    this.last.set(key, mine);
    void mine
      .finally(() => {
        if (this.last.get(key) === mine) this.last.delete(key);
      })
      .catch(() => undefined);
    return mine;
  }
}
