import type { Logger } from 'pino';
import { backoffDelay } from '@rowcast/core';
import type { RuleConfig } from './config.js';
import type { DeliveryQueue, HandedDelivery, NewDelivery, QueuedDelivery } from './queue/delivery-queue.js';
import { AcceptedItems, type AcceptedItem } from './accepted-items.js';
import type { DeliveryTarget } from './targets/target.js';
import type { Semaphore } from './semaphore.js';
import type { RuleCounters } from './counters.js';

const PAGE_SIZE = 100;
/** Wait before retrying after the queue itself failed (database down). */
const QUEUE_ERROR_RETRY_MS = 1_000;

/** An item of a batch: read from the queue, or accepted by this node and handed over while its enqueue commits. */
interface LaneItem extends HandedDelivery {
  attempts: number;
  notBefore: number;
  /** For an accepted item: its seq once stored (undefined if its enqueue failed). */
  stored?: Promise<number | undefined>;
}

/** What a lane needs from its rule. */
export interface LaneDeps {
  rule: RuleConfig;
  target: DeliveryTarget;
  queue: DeliveryQueue;
  semaphore: Semaphore;
  counters: RuleCounters;
  logger: Logger;
  /** Called when the lane ran out of work, so the dispatcher can forget it. */
  onIdle: () => void;
}

/**
 * The deliveries of one rule on one channel, one at a time in enqueue order: an item (or a batch of up to
 * `batch.maxMessages` items) is not handed over before the one before it succeeded (or was dead-lettered after its
 * last attempt). Lanes of different channels run independently. The lane reads its items from the queue page by
 * page, so a backlog costs no memory.
 *
 * A batch's completion (the queue's DELETE) commits before the next batch is handed over, so a crash leaves at
 * most one batch to be delivered again: the one in flight, or the one just delivered whose completion was. When
 * the next batch needs a read, the completion travels in the read's statement (one round trip, not two, between
 * deliveries). It commits without waiting for its WAL flush (see PostgresDeliveryQueue): only a PostgreSQL crash
 * can undo one, and that means a redelivery, which at-least-once allows.
 *
 * Items this node accepts are handed to the lane at once (`offer`), while their enqueue commits, rather than read
 * back after it: the lane delivers them after the items of its next read, whose snapshot holds every item
 * committed before them (another node's, in seq order). Their completion waits for their enqueue's commit, so the
 * bound above holds; a publish is acknowledged only once its enqueue committed, so an acknowledged message is
 * stored before it is delivered, or delivered and stored.
 */
export class RuleLane {
  private running = false;
  private dirty = false;
  private stopped = false;
  private lastSeq = 0;
  /**
   * Whether the next read starts at the lane's beginning rather than after `lastSeq`: another node's enqueue can
   * commit after a later one (seqs are taken at INSERT, not at commit), so its item may sit below `lastSeq`.
   */
  private readFromStart = true;
  private wake?: () => void;
  private current?: Promise<void>;
  /** Seqs of the batch delivered last, not yet removed from the queue: removed with the next read, or before the next hand-over. */
  private delivered: number[] = [];
  /** Items this node accepted and handed over (`offer`), not yet delivered. */
  private readonly accepted = new AcceptedItems();

  constructor(
    readonly channel: string,
    private readonly deps: LaneDeps,
  ) {}

  /**
   * New items were enqueued for this lane: by this node (after them in seq order), or, with `anywhere`, by another
   * node or a requeue (possibly below what the lane delivered last).
   */
  signal(anywhere = false): void {
    if (anywhere) this.readFromStart = true;
    this.dirty = true;
    if (!this.running && !this.stopped) this.current = this.run();
  }

  /**
   * Items this node accepted for this lane, handed over while their enqueue commits: `stored` resolves with their
   * seqs once it committed (and rejects if it failed: the publish is refused, and items not delivered yet are
   * dropped). False when the lane did not take them (it holds a backlog): then signal it once they are stored, as
   * for items it reads back from the queue.
   */
  offer(deliveries: NewDelivery[], stored: Promise<number[]>): boolean {
    if (!this.accepted.add(deliveries, stored)) return false;
    this.signal();
    return true;
  }

  /**
   * Stops taking new items; a lane waiting for a retry stops at once. Resolves when the delivery in flight (if
   * any) has ended: the engine closes the targets after a grace period to cut a slow one short.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.current;
  }

  private async run(): Promise<void> {
    this.running = true;
    let ranOut = false;
    try {
      ranOut = await this.drain();
      // stopped between a delivery and the next read: its completion must not wait for a next read that never comes
      await this.completeDelivered();
    } catch (err) {
      // The queue failed (database unreachable?): nothing was lost; try the lane again a little later.
      this.deps.logger.error({ channel: this.channel, err: (err as Error).message }, 'rule queue error; the lane retries');
      if (!this.stopped) setTimeout(() => this.signal(), QUEUE_ERROR_RETRY_MS).unref();
      return;
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    // A signal can land between drain() returning and this line (it runs in a later microtask): run again.
    if (this.dirty) this.signal();
    else if (ranOut) this.deps.onIdle();
  }

  /** Delivers pages until the lane is empty (true) or stopped (false). */
  private async drain(): Promise<boolean> {
    const batchSize = this.deps.rule.batch.maxMessages;
    // a page holds at least one full batch, so a backlog goes out in batches of the configured size
    const pageSize = Math.max(PAGE_SIZE, batchSize);
    while (!this.stopped) {
      this.dirty = false;
      const mark = this.accepted.mark();
      const page = await this.nextPage(pageSize);
      await this.accepted.forgetRead(page);
      const items: LaneItem[] = page;
      // Items accepted before the read follow what it returned; a full page may have more stored items behind it,
      // so then they wait for the next read.
      if (page.length < pageSize) items.push(...this.accepted.takeBefore(mark).map(toLaneItem));
      if (items.length === 0) {
        if (this.dirty) continue;
        return true;
      }
      for (let i = 0; i < items.length; i += batchSize) {
        // the next batch of this page needs no read: the previous one's completion goes on its own
        await this.completeDelivered();
        const batch = items.slice(i, i + batchSize);
        const seqs = this.stopped ? false : await this.deliver(batch);
        if (seqs === false) return false;
        // a read from the start can return a late-committed item below lastSeq: lastSeq never goes back
        this.lastSeq = Math.max(this.lastSeq, ...seqs);
      }
    }
    return false;
  }

  /**
   * The next page of the lane: after `lastSeq`, or from its start; in the same round trip, the completion of the
   * batch delivered last. If the read fails, that completion is kept for the next attempt.
   */
  private async nextPage(pageSize: number): Promise<QueuedDelivery[]> {
    const fromStart = this.readFromStart;
    // cleared before the read: a signal during the read asks for another
    this.readFromStart = false;
    const lane = { ruleId: this.deps.rule.id, channel: this.channel };
    const afterSeq = fromStart ? 0 : this.lastSeq;
    try {
      const page = await this.deps.queue.completeAndPage(this.delivered, lane, afterSeq, pageSize);
      this.delivered = [];
      return page;
    } catch (err) {
      this.readFromStart ||= fromStart;
      throw err;
    }
  }

  /** Removes the batch delivered last from the queue, if that is still to do. */
  private async completeDelivered(): Promise<void> {
    if (this.delivered.length === 0) return;
    // issued in one turn, so the PostgreSQL queue's group commit removes the whole batch in one statement
    await Promise.all(this.delivered.map((seq) => this.deps.queue.complete(seq)));
    this.delivered = [];
  }

  /**
   * Delivers a batch (one item unless the rule batches) in one target call, retrying the same batch with backoff;
   * resolves with the batch's seqs, or false when the lane was stopped before it finished. Its items succeed, fail
   * and are dead-lettered together. Accepted items that are not stored yet are waited for after the first attempt:
   * their completion, or their retry state, needs their seq.
   */
  private async deliver(handed: LaneItem[]): Promise<number[] | false> {
    let batch = handed;
    const { rule, target, queue, semaphore, counters, logger } = this.deps;
    // Items read back after a restart may carry different retry states: the batch goes by the most advanced one.
    let attempts = Math.max(...batch.map((item) => item.attempts));
    const notBefore = Math.max(...batch.map((item) => item.notBefore));
    const about = { channel: this.channel, deliveryId: batch[0].deliveryId, items: batch.length };
    if (notBefore > Date.now() && !(await this.sleep(notBefore - Date.now()))) return false;
    for (;;) {
      attempts++;
      let error: string | undefined;
      await semaphore.acquire();
      try {
        await target.deliver(batch, attempts);
      } catch (err) {
        error = (err as Error).message ?? String(err);
      } finally {
        semaphore.release();
      }
      // A delivery cut short by shutdown is not a failed attempt: the items stay queued as they were.
      if (error !== undefined && this.stopped) return false;
      batch = await withSeqs(batch);
      if (batch.length === 0) return []; // every enqueue failed: their publishes were refused, nothing to retry
      const seqs = batch.map((item) => item.seq as number);
      if (error === undefined) {
        const now = Date.now();
        for (const item of batch) counters.delivered(rule.id, now - item.item.timestamp);
        if (attempts > 1) logger.info({ ...about, attempt: attempts }, 'rule delivery succeeded after retry');
        // removed with the lane's next read, or before its next hand-over (see completeDelivered)
        this.delivered = seqs;
        return seqs;
      }
      counters.failedAttempt(rule.id);
      if (attempts >= rule.retry.attempts) {
        logger.error({ ...about, attempts, err: error }, 'rule delivery failed for the last time; moved to dead letters');
        for (const seq of seqs) {
          counters.deadLettered(rule.id);
          await queue.deadLetter(seq, attempts, error);
        }
        return seqs;
      }
      const delay = backoffDelay(attempts, { baseMs: rule.retry.backoffBaseMs, maxMs: rule.retry.backoffMaxMs });
      logger.warn({ ...about, attempt: attempts, retryInMs: delay, err: error }, 'rule delivery failed; will retry');
      await Promise.all(seqs.map((seq) => queue.recordFailure(seq, attempts, error, Date.now() + delay)));
      if (this.stopped || !(await this.sleep(delay))) return false;
    }
  }

  /** Waits `ms`; false if the lane was stopped meanwhile. */
  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve(!this.stopped);
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(false);
      };
    });
  }
}

function toLaneItem(accepted: AcceptedItem): LaneItem {
  return { ...accepted.delivery, attempts: 0, notBefore: 0, stored: accepted.stored };
}

/** The batch with every item's seq, once the accepted ones are stored; those whose enqueue failed are left out. */
async function withSeqs(batch: LaneItem[]): Promise<LaneItem[]> {
  if (batch.every((item) => item.seq !== undefined)) return batch;
  const seqs = await Promise.all(batch.map((item) => item.seq ?? item.stored));
  return batch.flatMap((item, i) => (seqs[i] === undefined ? [] : [{ ...item, seq: seqs[i] }]));
}
