/**
 * Keeps a node's publishes in call order across a recovery. Publishes are pipelined on one connection, so
 * normally Redis runs them in the order they were made. When Redis changes under the node, those already sent
 * are refused by the scripts and retried after the recovery, while publishes made meanwhile would go straight
 * to the recovered Redis and overtake them. So when a recovery starts the fence is raised: a publish begun from
 * then on waits until every publish begun before has finished (run, retried or refused).
 */
export class PublishFence {
  private next = 0;
  /** Tickets of unfinished publishes, in ascending order (a Set keeps insertion order). */
  private readonly unfinished = new Set<number>();
  private fence = 0;
  private waiters: Array<{ before: number; resolve: () => void }> = [];

  /** A ticket for a publish being made now. */
  begin(): number {
    const ticket = this.next++;
    this.unfinished.add(ticket);
    return ticket;
  }

  /** The publish with `ticket` finished, whatever the outcome. */
  finish(ticket: number): void {
    this.unfinished.delete(ticket);
    const first = this.firstUnfinished();
    this.waiters = this.waiters.filter((w) => {
      if (first < w.before) return true;
      w.resolve();
      return false;
    });
  }

  /** A recovery starts: publishes begun from now on wait for the earlier ones. */
  raise(): void {
    this.fence = this.next;
  }

  /** Resolves once the publish with `ticket` may be sent: every publish before the fence it is behind has finished. */
  async clear(ticket: number): Promise<void> {
    const before = this.fence;
    if (ticket < before || this.firstUnfinished() >= before) return;
    // Waiters resume in the order they came, which is ticket order.
    await new Promise<void>((resolve) => this.waiters.push({ before, resolve }));
  }

  private firstUnfinished(): number {
    const first = this.unfinished.values().next();
    return first.done ? Number.POSITIVE_INFINITY : first.value;
  }
}
