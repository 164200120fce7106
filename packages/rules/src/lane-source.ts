import type { DeliveryQueue, Lane, QueuedDelivery, StoredDelivery } from './queue/delivery-queue.js';

/** Items held in memory for a lane: past this, it reads its backlog from the queue instead (bounded memory). */
const INBOX_LIMIT = 10_000;

/**
 * Where a lane's next items come from. The queue is the truth, but reading it costs a round trip on the
 * latency-critical path, so the items this node enqueues are handed over in memory once committed (`offer`),
 * and the queue is read only when it may hold items the lane was not handed:
 * - at first, and while reading a backlog page by page (a full page may have more behind it);
 * - when an offered item's lane had items the lane has not seen (its `prevSeq` is above what the lane has seen:
 *   another node enqueued in between and its notice has not arrived yet);
 * - when another node's notice, a resume or a requeue says so (`mustRead`), from the lane's start if the items
 *   may sit below what was delivered (another node's enqueue can commit after a later one).
 * An item both offered and read is delivered once: the read's items leave the inbox.
 */
export class LaneSource {
  /** Highest seq delivered: reads continue after it. */
  private lastSeq = 0;
  /** Highest seq the lane has seen (read, or offered in order): what an offered item's `prevSeq` is checked against. */
  private seen = 0;
  private readPending = true;
  private fromStart = true;
  /** Offered items not delivered yet, in seq order. */
  private inbox: QueuedDelivery[] = [];

  constructor(
    private readonly queue: DeliveryQueue,
    private readonly lane: Lane,
  ) {}

  /** The queue may hold items this lane was not handed: read it (`anywhere`: possibly below `lastSeq`). */
  mustRead(anywhere: boolean): void {
    this.readPending = true;
    if (anywhere) this.fromStart = true;
  }

  /** Items this node just committed for the lane, in seq order. */
  offer(items: StoredDelivery[]): void {
    for (const item of items) {
      // a pending read will see it (it is committed); one in flight may not, and is deduplicated if it does
      if (this.readPending) return;
      if (item.prevSeq > this.seen || this.inbox.length >= INBOX_LIMIT) {
        this.readPending = true;
        return;
      }
      const { prevSeq: _, ...queued } = item;
      this.inbox.push(queued);
      this.seen = Math.max(this.seen, item.seq);
    }
  }

  /** A batch up to `seq` was delivered (or dead-lettered). */
  delivered(seq: number): void {
    // a read from the start can return a late-committed item below lastSeq: lastSeq never goes back
    this.lastSeq = Math.max(this.lastSeq, seq);
  }

  /** The next items to deliver (empty: none known); `skip`: seqs delivered whose completion is in flight. */
  async next(pageSize: number, skip: readonly number[]): Promise<QueuedDelivery[]> {
    if (!this.readPending) return this.inbox.splice(0, pageSize);
    // cleared before the read: a request to read during it means another read
    const fromStart = this.fromStart;
    this.readPending = false;
    this.fromStart = false;
    let page: QueuedDelivery[];
    try {
      page = await this.queue.page(this.lane, fromStart ? 0 : this.lastSeq, pageSize, skip);
    } catch (err) {
      this.readPending = true;
      this.fromStart ||= fromStart;
      throw err;
    }
    // a full page may have more behind it; a short one saw every item committed before it was read
    if (page.length === pageSize) this.readPending = true;
    if (page.length > 0) {
      this.seen = Math.max(this.seen, page[page.length - 1].seq);
      if (this.inbox.length > 0) {
        const read = new Set(page.map((item) => item.seq));
        this.inbox = this.inbox.filter((item) => !read.has(item.seq));
      }
      return page;
    }
    return this.inbox.splice(0, pageSize);
  }
}
