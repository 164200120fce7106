import type { ChannelEvent } from './events.js';

/** Retention of channel history: whichever limit is reached first drops the oldest events. */
export interface HistoryRetention {
  /** How long an event is kept, in ms (Ably keeps 2 minutes without persistence). */
  ttlMs: number;
  /** Most events kept per channel. */
  maxEventsPerChannel: number;
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
}
