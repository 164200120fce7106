import type { ErrorInfo } from '@rowcast/protocol';
import type { ChannelEvent, ChannelEventInput } from './events.js';

/** Receives the events of channels this node subscribed to. */
export type BrokerListener = (event: ChannelEvent) => void;

/**
 * Told that a subscribed channel lost continuity on this node: events before `serial` may be missing (the
 * broker's store lost data it had accepted). Events after `serial` still come through the listener, in order.
 */
export type DiscontinuityListener = (channel: string, serial: string, reason: ErrorInfo) => void;

/**
 * Sequences events onto channels and delivers them to every node that subscribed to the channel.
 *
 * Guarantees every implementation must give (core/testing runs them against each one):
 * - One serial sequence per channel across all nodes: `publish` assigns the next serial of the channel;
 *   serials compare with `compareSerials` (channel/serial.ts) in publish order.
 * - The event is appended to the HistoryStore the broker was built with BEFORE any listener sees it, so a
 *   reader of history after seeing serial S finds every event up to S.
 * - Every listener receives the events of a channel in serial order, each exactly once, while subscribed.
 * - `publish` resolves after the event is sequenced and stored; delivery may happen before or after.
 */
export interface Broker {
  /** Sequences `event` onto `channel`, stores it in history and delivers it. */
  publish(channel: string, event: ChannelEventInput): Promise<ChannelEvent>;
  /**
   * Set when the broker itself drops a repeat of an event's `explicitIds` (a broker shared by nodes, which sees a
   * replay through another node): it judges the whole event, dropping it only when every id was seen. So an event
   * must not mix what may have been published before with what is new: publishBatches then sends one event per
   * batch.
   */
  readonly judgesRepeatsPerEvent?: boolean;
  /** Starts delivering `channel`'s events to this node's listener. Idempotent. */
  subscribe(channel: string): void;
  /** Stops delivering `channel`'s events to this node. Idempotent. */
  unsubscribe(channel: string): void;
  /** Sets the one listener of this node (the hub). */
  setListener(listener: BrokerListener): void;
  /**
   * Sets the node's discontinuity listener. A broker that can lose accepted events (a store restarted without
   * its data) calls it instead of leaving a silent gap; one that cannot never calls it, so it may omit this.
   */
  setDiscontinuityListener?(listener: DiscontinuityListener): void;
  /** The serial of the last event on `channel` (or the channel's zero serial when it has none). */
  currentSerial(channel: string): Promise<string>;
  /** Releases connections and timers. */
  close(): Promise<void>;
}
