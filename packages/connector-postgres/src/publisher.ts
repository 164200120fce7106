import type { OutgoingBatch } from './outgoing.js';

/**
 * Where the connector's messages go: the engine in the same process, or an Ably-compatible REST endpoint.
 * A publish resolves once its messages were accepted (an accepted message is never lost by the server) and rejects
 * when they were not; it may then be repeated with the same batch (its ids make that idempotent).
 */
export interface Publisher {
  /** Largest single message (data + name); a bigger row is logged, counted and skipped. */
  readonly maxMessageSize: number;
  /** Largest total of one publish call (Ably applies maxMessageSize to the whole publish; Rowcast per message). */
  readonly maxBatchBytes: number;
  publish(channel: string, batch: OutgoingBatch): Promise<void>;
  /**
   * Optional: several publishes to one channel in one round trip, applied in order. Resolves with how many leading
   * publishes were accepted (at least one); rejects with the first one's error when none was.
   */
  publishSeries?(channel: string, batches: OutgoingBatch[]): Promise<number>;
  /** Bounds of one publishSeries call. */
  readonly maxSeries?: { count: number; bytes: number };
  close(): Promise<void>;
}

/** What a refused publish means for the connector. */
export type PublishFailure = 'too-large' | 'retry';

/** Classifies a publish error: a size refusal is final for that content; anything else is retried. */
export function classifyPublishError(err: unknown): PublishFailure {
  const e = err as { code?: number; statusCode?: number };
  if (e?.code === 40009 || e?.statusCode === 413) return 'too-large';
  return 'retry';
}
