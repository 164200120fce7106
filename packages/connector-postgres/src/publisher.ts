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
  /** Mutable messages (tables in `mutableMessages`); absent when the destination cannot update messages. */
  readonly mutable?: MutablePublisher;
  close(): Promise<void>;
}

/** A row as one message: the row's JSON object (`encoding: json`), with an id naming the change. */
export interface RowMessage {
  id: string;
  name: string;
  /** JSON text of the row, as row_to_json renders it. */
  data: string;
}

/**
 * Create, update and delete of messages by serial. The update and delete carry the row as the message's new
 * content (the deleted row for a delete), so a subscriber sees what the row became.
 */
export interface MutablePublisher {
  /** Publishes a new message; resolves with its serial, or null when its id was a duplicate (already published). */
  create(channel: string, message: RowMessage): Promise<string | null>;
  update(channel: string, serial: string, message: RowMessage): Promise<void>;
  delete(channel: string, serial: string, message: RowMessage): Promise<void>;
  /**
   * The serial of the message with this id among the channel's recent messages: after a crash between a create
   * being accepted and its serial being recorded, the re-sent create is a duplicate and this finds the original.
   */
  findSerial(channel: string, id: string): Promise<string | undefined>;
}

/** What a refused publish means for the connector. */
export type PublishFailure = 'too-large' | 'retry';

/** Classifies a publish error: a size refusal is final for that content; anything else is retried. */
export function classifyPublishError(err: unknown): PublishFailure {
  const e = err as { code?: number; statusCode?: number };
  if (e?.code === 40009 || e?.statusCode === 413) return 'too-large';
  return 'retry';
}
