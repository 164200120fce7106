import type { AcceptedAnnotation, AcceptedMessage, AcceptedPresence } from '../node-api.js';

/**
 * One event on a channel: a batch of messages, of presence changes or of annotations published together (one
 * protocol message). Events are the unit of sequencing: each gets one channelSerial, and its items get
 * `<channelSerial>:<index>` (messages/stamp.ts: a new version of a message gets it as its version serial).
 */
export interface ChannelEventInput {
  kind: 'message' | 'presence' | 'annotation';
  /** Protocol-level id, `<connectionId>:<msgSerial>` for realtime publishes. */
  id: string;
  connectionId?: string;
  timestamp: number;
  messages?: AcceptedMessage[];
  presence?: AcceptedPresence[];
  /** Annotations on messages of the channel (delivered to attachments with the annotation_subscribe mode). */
  annotations?: AcceptedAnnotation[];
  /**
   * Message ids the publisher chose (idempotent publishing). A broker shared by several nodes checks them in the
   * same atomic step that sequences the event: when every one of them was already published inside the
   * idempotency window, the event is a repeat (a retry through another node, the change stream re-sending after
   * a failover) and is dropped, reported by `duplicate`.
   */
  explicitIds?: string[];
}

/** An event after the broker sequenced it onto its channel. */
export interface ChannelEvent extends ChannelEventInput {
  channel: string;
  /** The channel's serial for this event; totally ordered per channel (see channel/serial.ts). */
  serial: string;
  /** Set when the broker dropped the event as a repeat of `explicitIds` (nothing stored or delivered, no serial). */
  duplicate?: boolean;
}
