/**
 * Group commit: items added during one event-loop turn are written together by one `flush` call (one database
 * round trip), and while a flush is in flight new items gather for the next one. Each `add` resolves when the
 * flush holding its items succeeded (with the flush's results for its items, if the flush returns one per item),
 * or rejects with that flush's error. Flushes run one at a time, in order, so items are written in the order they
 * were added.
 */
export class GroupCommit<T, R = never> {
  private pending: Array<{ items: T[]; resolve: (results: R[]) => void; reject: (err: unknown) => void }> = [];
  private flushing = false;
  private scheduled = false;

  /** `maxItems` bounds one flush (a burst becomes several statements of reasonable size, in order). */
  constructor(
    // biome-ignore lint/suspicious/noConfusingVoidType: a flush that returns nothing (void) gives its adds no results
    private readonly flush: (items: T[]) => Promise<R[] | void>,
    private readonly maxItems = 5_000,
  ) {}

  add(items: T[]): Promise<R[]> {
    return new Promise<R[]>((resolve, reject) => {
      this.pending.push({ items, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything added so far has been flushed (or failed). */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.flushing || this.scheduled) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // setImmediate rather than a microtask: it lets every socket read of this poll phase add its items first.
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    // whole adds only (each resolves with its flush); at least one, however large
    let count = 0;
    let take = 0;
    while (take < this.pending.length && (take === 0 || count + this.pending[take].items.length <= this.maxItems)) {
      count += this.pending[take].items.length;
      take++;
    }
    const batch = this.pending.splice(0, take);
    try {
      const results = await this.flush(batch.flatMap((entry) => entry.items));
      let offset = 0;
      for (const entry of batch) {
        entry.resolve(results ? results.slice(offset, offset + entry.items.length) : []);
        offset += entry.items.length;
      }
    } catch (err) {
      for (const entry of batch) entry.reject(err);
    } finally {
      this.flushing = false;
      if (this.pending.length > 0) this.schedule();
    }
  }
}
