import type { ChannelEvent } from './events.js';

/** Retention of channel history: whichever limit is reached first drops the oldest events. */
export interface HistoryRetention {
  /** How long an event is kept, in ms (Ably keeps 2 minutes without persistence). */
  ttlMs: number;
  /** Most events kept per channel. */
  maxEventsPerChannel: number;
}

/** Which kept events of a channel one read returns: a page of history, not the whole channel. */
export interface HistoryPageRequest {
  /** Oldest first (`forwards`) or newest first (`backwards`). */
  direction: 'forwards' | 'backwards';
  /** Start past this event serial (exclusive) in the direction of travel; absent: at the oldest or newest event. */
  after?: string;
  /** Nothing newer than this event serial (inclusive): realtime `history({ untilAttach })`. */
  notAfter?: string;
  /** Only events with `timestamp >= since` and `<= until` (ms, inclusive), as Ably's `start` and `end`. */
  since?: number;
  until?: number;
  /** Most events returned. */
  limit: number;
}

/** How much history a store holds, for operators (/metrics). */
export interface HistorySize {
  /** Channels with at least one event held. */
  channels: number;
  /** Events held (a store may still hold expired events until its next trim of that channel). */
  events: number;
}

/**
 * Recent events per channel, in serial order: the source of resume replay, rewind and REST history.
 * Guarantees: events of a channel are returned in the order they were appended (serial order); an event is
 * readable as soon as `append` returns; expired events disappear from every read. A store need not keep ephemeral
 * messages (`extras.ephemeral`); the engine filters them out of every read either way (messages/ephemeral.ts).
 */
export interface HistoryStore {
  /** Appends an event (the broker calls this, once per event, in serial order). */
  append(event: ChannelEvent): Promise<void>;
  /**
   * Events strictly after `serial`, oldest first; `undefined` when `serial` is not continuous with what is kept
   * (older than retention, or from an earlier incarnation of the channel), so the caller knows the gap is lost.
   */
  eventsAfter(channel: string, serial: string): Promise<ChannelEvent[] | undefined>;
  /** Every kept event of the channel, oldest first. */
  events(channel: string): Promise<ChannelEvent[]>;
  /**
   * Up to `limit` kept events of the channel that match `request`, in its direction of travel. Reads only about
   * what it returns (a REST page must not cost the whole channel); fewer than `limit` means there are no more.
   */
  page(channel: string, request: HistoryPageRequest): Promise<ChannelEvent[]>;
  /**
   * What the store holds across all channels. Costs a pass over every channel (a scan in a shared store): for a
   * metrics scrape, never for the message path.
   */
  size(): Promise<HistorySize>;
  /** Stops background work (timers); the store is not used afterwards. */
  close?(): void;
}
