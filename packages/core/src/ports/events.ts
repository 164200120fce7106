import type { AcceptedMessage, AcceptedPresence } from '../node-api.js';

/**
 * One event on a channel: a batch of messages or of presence changes published together (one protocol message).
 * Events are the unit of sequencing: each gets one channelSerial, and its messages get `<channelSerial>:<index>`.
 */
export interface ChannelEventInput {
  kind: 'message' | 'presence';
  /** Protocol-level id, `<connectionId>:<msgSerial>` for realtime publishes. */
  id: string;
  connectionId?: string;
  timestamp: number;
  messages?: AcceptedMessage[];
  presence?: AcceptedPresence[];
}

/** An event after the broker sequenced it onto its channel. */
export interface ChannelEvent extends ChannelEventInput {
  channel: string;
  /** The channel's serial for this event; totally ordered per channel (see channel/serial.ts). */
  serial: string;
}
