import type { RuleSource } from '../config.js';
import type { EnvelopeItem } from '../envelope.js';

/** One item to hand to one rule's target: a message or presence event of a channel. */
export interface NewDelivery {
  ruleId: string;
  channel: string;
  source: RuleSource;
  /** The message (or presence) id: the same on every attempt, so idempotent targets can dedupe. */
  deliveryId: string;
  item: EnvelopeItem;
}

/**
 * An item as a target gets it: `seq` is missing when the lane hands over an item this node accepted while its
 * enqueue is still committing (see RuleLane).
 */
export interface HandedDelivery extends NewDelivery {
  seq?: number;
}

/** A delivery as stored, with its place in the lane and its retry state. */
export interface QueuedDelivery extends NewDelivery {
  /** Position in enqueue order; items of one (rule, channel) lane are delivered in increasing `seq`. */
  seq: number;
  /** Failed attempts so far (kept across restarts). */
  attempts: number;
  /** Earliest time of the next attempt (ms since epoch); 0 = now. */
  notBefore: number;
  lastError?: string;
}

/** A delivery given up on after its last attempt, kept for inspection. */
export interface DeadLetter extends QueuedDelivery {
  failedAt: number;
}

/** Which dead letters to act on; no field means all. */
export interface DeadLetterFilter {
  ruleId?: string;
  deliveryIds?: string[];
}

/** A (rule, channel) pair with work queued: the unit of ordering. */
export interface Lane {
  ruleId: string;
  channel: string;
}

/**
 * Where accepted messages wait for their rules' targets. Guarantees: an item is stored once `enqueue` resolves
 * (durably for the PostgreSQL queue: the publish is acknowledged only after that); `page` returns a lane's items in
 * enqueue order; an item stays until `complete` or `deadLetter` removes it, so after a crash the queue is drained
 * from where it stopped (the item in flight at the crash is delivered again: at least once).
 */
export interface DeliveryQueue {
  /**
   * Stores items; resolves with their seqs, in the items' order, when they are stored (for PostgreSQL,
   * committed). Items keep their array order.
   */
  enqueue(items: NewDelivery[]): Promise<number[]>;
  /** Up to `limit` items of a lane with `seq > afterSeq`, in `seq` order. */
  page(lane: Lane, afterSeq: number, limit: number): Promise<QueuedDelivery[]>;
  /** Removes a delivered item. */
  complete(seq: number): Promise<void>;
  /**
   * Removes delivered items, then returns the lane's next page as `page` would (without them): for PostgreSQL one
   * statement, so a lane pays one round trip, not two, between one delivery and the next. Resolves once the
   * removal is committed, like `complete`.
   */
  completeAndPage(delivered: number[], lane: Lane, afterSeq: number, limit: number): Promise<QueuedDelivery[]>;
  /** Records a failed attempt and when to try next. */
  recordFailure(seq: number, attempts: number, error: string, notBefore: number): Promise<void>;
  /** Moves an item to the dead letters. */
  deadLetter(seq: number, attempts: number, error: string): Promise<void>;
  /** Lanes with queued items (to resume after a restart). */
  lanes(): Promise<Lane[]>;
  /** Number of items queued, for inspection and metrics. */
  size(): Promise<number>;
  /** The most recent dead letters, newest first. */
  deadLetters(limit?: number): Promise<DeadLetter[]>;
  /**
   * Puts dead letters back in the queue (all, or those of a rule / with these delivery ids) with fresh attempts,
   * at the end of their lanes: after messages accepted since. Returns how many were requeued.
   */
  requeueDeadLetters(filter?: DeadLetterFilter): Promise<number>;
  close(): Promise<void>;
}
