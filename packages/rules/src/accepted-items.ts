import type { NewDelivery, QueuedDelivery } from './queue/delivery-queue.js';

/** Most items a lane keeps in memory; beyond, it reads them from the queue (a backlog costs no memory). */
const MAX_KEPT = 1_000;

/** An item this node accepted, handed to its lane while its enqueue commits. */
export interface AcceptedItem {
  delivery: NewDelivery;
  /** Resolves with the item's seq once its enqueue committed; with undefined if the enqueue failed. */
  stored: Promise<number | undefined>;
  /** Place in acceptance order (see `mark`). */
  order: number;
}

/**
 * The items a lane was handed by this node's publishes, not yet delivered, in the order they were accepted. The
 * lane delivers them after the items its next read of the queue returns: a read issued after an item was accepted
 * sees every item committed before it (another node's, or this node's own, already stored) — those come first.
 */
export class AcceptedItems {
  private items: AcceptedItem[] = [];
  private nextOrder = 0;
  /** Enqueues not kept (see `add`) and not yet settled. */
  private unkept = 0;

  /**
   * Adds the items of one enqueue; `stored` resolves with their seqs, in order, when it commits. False when they
   * are not kept, because too many wait already: the lane must read them from the queue once stored. Then no
   * later items are kept either until they are stored (or failed), so none can overtake them.
   */
  add(deliveries: NewDelivery[], stored: Promise<number[]>): boolean {
    if (this.unkept > 0 || this.items.length + deliveries.length > MAX_KEPT) {
      this.unkept++;
      const settled = () => void this.unkept--;
      stored.then(settled, settled);
      return false;
    }
    deliveries.forEach((delivery, i) => {
      const item: AcceptedItem = {
        delivery,
        order: this.nextOrder++,
        stored: stored.then(
          (seqs) => seqs[i],
          // the publish was refused: an item not handed over yet is dropped (one handed over stays delivered,
          // which a refused publish allows: its publisher may have it delivered again)
          () => {
            this.items = this.items.filter((other) => other !== item);
            return undefined;
          },
        ),
      };
      this.items.push(item);
    });
    return true;
  }

  /** A mark before a read: `takeBefore(mark)` after the read gives the items accepted before it was issued. */
  mark(): number {
    return this.nextOrder;
  }

  /**
   * Forgets the items that `page` (a read of the queue) holds: this node's enqueues that committed before the
   * read. An item is matched by its id first, then by its seq once stored (its seq may not have come back yet).
   */
  async forgetRead(page: readonly QueuedDelivery[]): Promise<void> {
    if (this.items.length === 0 || page.length === 0) return;
    const ids = new Set(page.map((row) => row.deliveryId));
    const maybeRead = this.items.filter((item) => ids.has(item.delivery.deliveryId));
    if (maybeRead.length === 0) return;
    const storedSeqs = await Promise.all(maybeRead.map((item) => item.stored));
    const pageSeqs = new Set(page.map((row) => row.seq));
    const read = new Set(maybeRead.filter((_, i) => pageSeqs.has(storedSeqs[i] as number)));
    this.items = this.items.filter((item) => !read.has(item));
  }

  /** Removes and returns the items accepted before `mark`, in acceptance order. */
  takeBefore(mark: number): AcceptedItem[] {
    const end = this.items.findIndex((item) => item.order >= mark);
    return this.items.splice(0, end < 0 ? this.items.length : end);
  }
}
