import type { MessageAnnotations } from '@rowcast/protocol';
import type { AcceptedAnnotation, AcceptedMessage } from '../node-api.js';
import type { HistoryPageRequest } from './history-store.js';

/** Which versions of one message a read returns. */
export interface VersionPageRequest {
  /** Oldest first (`forwards`, the create first) or newest first (`backwards`). */
  direction: 'forwards' | 'backwards';
  /** Start past this version serial (exclusive) in the direction of travel. */
  after?: string;
  limit: number;
}

/** Which annotations of one message a read returns: oldest first (serial order). */
export interface AnnotationPageRequest {
  /** Start past this annotation serial (exclusive). */
  after?: string;
  limit: number;
}

/**
 * The mutable state of a channel's messages: every version of each message (by its serial), the latest one, the
 * annotations made on it and their summary. HistoryStore keeps the order of events; this keeps what a message
 * *is now*, which history, rewind and REST show in place of the create.
 *
 * The engine calls the writes after the broker sequenced the event (so serials are known), in serial order per
 * channel from the node that accepted it; in a cluster several nodes write, so a shared store must be safe for
 * that (each write is about one message serial and carries its own serials, so last-writer order does not matter
 * except where stated).
 *
 * One store need not hold every channel: the engine asks a MessageStoreResolver for the store of a channel, so a
 * deployment can keep chat rooms (`<room>::$chat`) in PostgreSQL and everything else in memory or Redis.
 */
export interface MessageStore {
  /**
   * Records accepted messages of `channel`: creates (`action` 0, version = themselves) and new versions
   * (update/delete/append, already merged by the engine into the whole message as it now is, with `serial` the
   * original message's and `version.serial` the new one's). A version older than the one kept (smaller
   * `version.serial`) must not replace the latest, but is still listed by `versions`.
   */
  record(channel: string, messages: AcceptedMessage[]): Promise<void>;
  /**
   * The latest version of each message serial, in the order asked, `undefined` for one the store does not know
   * (never recorded, or expired). Carries `annotations` when the message has a summary (see `setSummary`).
   * A store may leave creates to the channel's history (the Redis one: the broker already stored them there);
   * it then answers `undefined` for a message that never changed and has no summary, and the engine reads the
   * create from history. `versions` still lists the create first.
   */
  latest(channel: string, serials: string[]): Promise<Array<AcceptedMessage | undefined>>;
  /** Versions of one message (the create and each change), `limit` of them in the request's direction. */
  versions(channel: string, serial: string, request: VersionPageRequest): Promise<AcceptedMessage[]>;
  /**
   * Records an annotation (create or delete, both kept: a summary is computed from the whole list in serial
   * order) and answers every annotation of its message, oldest first, as now recorded, atomically with the
   * write (so the summary the engine computes from the answer includes this annotation).
   */
  addAnnotation(channel: string, annotation: AcceptedAnnotation): Promise<AcceptedAnnotation[]>;
  /** Annotations of one message, oldest first, `limit` of them. */
  annotations(channel: string, messageSerial: string, request: AnnotationPageRequest): Promise<AcceptedAnnotation[]>;
  /**
   * Stores the summary of a message's annotations, computed from the annotations up to `asOf` (an annotation
   * serial). A summary with an `asOf` not greater than the stored one is ignored, so concurrent writers leave
   * the newest.
   */
  setSummary(channel: string, serial: string, summary: MessageAnnotations, asOf: string): Promise<void>;
  /**
   * A store that keeps every message of its channels for good (a database) may answer history itself: the
   * latest versions of the channel's messages in `request`'s order and bounds (`after`/`notAfter` are message
   * or event serials; both compare as strings). The engine then reads history here rather than HistoryStore.
   */
  history?(channel: string, request: HistoryPageRequest): Promise<AcceptedMessage[]>;
  /** Stops timers and releases connections. */
  close?(): void | Promise<void>;
}

/** The store that holds a channel's messages (by its base name, e.g. `room::$chat`). */
export type MessageStoreResolver = (channel: string) => MessageStore;
