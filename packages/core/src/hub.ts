import { Action, encodeFrame, type ErrorInfo, type ProtocolMessage, type WireFormat } from '@rowcast/protocol';
import { deliverableEvent, eventItems } from './messages/deliverable.js';
import type { Broker } from './ports/broker.js';
import { silentLogger, type Logger } from './ports/logger.js';
import type { ChannelEvent } from './ports/events.js';
import type { EncodedFrame } from './transport.js';
import type { TrafficCounters } from './counters.js';
import { messageSize } from './messages/normalise.js';

/** One connection's interest in a channel, as the hub sees it. */
export interface Subscriber {
  /** The channel name as the client attached it (maybe with a `[?...]` qualifier): frames carry this name. */
  readonly name: string;
  readonly format: WireFormat;
  /** Receives an event; `frames.for(this)` encodes it (once per format and name, shared with other subscribers). */
  deliver(event: ChannelEvent, frames: EventFrames): void;
  /** The channel lost continuity before `serial` (see DiscontinuityListener); events after it still follow. */
  discontinuity?(serial: string, reason: ErrorInfo): void;
}

/**
 * The encodings of one event, made on first use: one per wire format for subscribers that attached the channel by
 * its plain name (the common case, no string keys), and one per (format, name) for qualified names.
 */
export class EventFrames {
  private json?: EncodedFrame;
  private msgpack?: EncodedFrame;
  private qualified?: Map<string, EncodedFrame>;
  private size = -1;

  constructor(private readonly event: ChannelEvent) {}

  /** The event's message (or presence) bytes as stats count them, measured once for all its subscribers. */
  get dataBytes(): number {
    if (this.size < 0) this.size = eventDataBytes(this.event);
    return this.size;
  }

  for(sub: { readonly name: string; readonly format: WireFormat }): EncodedFrame {
    if (sub.name === this.event.channel) {
      if (sub.format === 'json') return (this.json ??= encodeEvent(this.event, sub.name, 'json'));
      return (this.msgpack ??= encodeEvent(this.event, sub.name, 'msgpack'));
    }
    const key = `${sub.format}\u0000${sub.name}`;
    this.qualified ??= new Map();
    let frame = this.qualified.get(key);
    if (!frame) {
      frame = encodeEvent(this.event, sub.name, sub.format);
      this.qualified.set(key, frame);
    }
    return frame;
  }
}

/**
 * The node's local registry of channel subscribers and its fan-out. Each event is encoded at most once per
 * (wire format, channel name as attached) and the same bytes go to every subscriber.
 */
export class Hub {
  private readonly channels = new Map<string, Set<Subscriber>>();
  /** Told when a channel gains its first subscriber, loses its last, or changes occupancy (metachannels). */
  onChange?: (channel: string, change: 'opened' | 'closed' | 'occupancy') => void;

  constructor(
    private readonly broker: Broker,
    private readonly counters?: TrafficCounters,
    private readonly logger: Logger = silentLogger,
  ) {
    broker.setListener((event) => this.fanOut(event));
    broker.setDiscontinuityListener?.((channel, serial, reason) => {
      for (const sub of this.channels.get(channel) ?? []) sub.discontinuity?.(serial, reason);
    });
  }

  add(channel: string, sub: Subscriber): void {
    let set = this.channels.get(channel);
    if (!set) {
      set = new Set();
      this.channels.set(channel, set);
      this.broker.subscribe(channel);
      if (this.counters) this.counters.channelsOpened++;
    }
    set.add(sub);
    // After adding: the events' ChannelDetails count this subscriber.
    if (set.size === 1) this.onChange?.(channel, 'opened');
    this.onChange?.(channel, 'occupancy');
  }

  remove(channel: string, sub: Subscriber): void {
    const set = this.channels.get(channel);
    if (!set?.delete(sub)) return;
    if (set.size === 0) {
      this.channels.delete(channel);
      this.broker.unsubscribe(channel);
      this.onChange?.(channel, 'closed');
    } else {
      this.onChange?.(channel, 'occupancy');
    }
  }

  /** Channels with at least one local subscriber (metrics, admin). */
  get channelCount(): number {
    return this.channels.size;
  }

  /** Names of the channels with local subscribers (admin listing, channel enumeration). */
  channelNames(): IterableIterator<string> {
    return this.channels.keys();
  }

  /** Local subscribers of a channel (occupancy). */
  subscribers(channel: string): ReadonlySet<Subscriber> {
    return this.channels.get(channel) ?? new Set();
  }

  /** Live events get the same check as stored ones (an older node of a cluster may still publish what no client decodes). */
  private fanOut(received: ChannelEvent): void {
    const set = this.channels.get(received.channel);
    if (!set) return;
    const event = deliverableEvent(received, this.logger);
    if (!event) return;
    const frames = new EventFrames(event);
    for (const sub of set) sub.deliver(event, frames);
  }
}

/** The protocol action each kind of channel event travels as. */
const EVENT_ACTION = { message: Action.MESSAGE, presence: Action.PRESENCE, annotation: Action.ANNOTATION } as const;

/** The protocol message carrying a channel event, as every subscriber receives it. */
export function eventFrame(event: ChannelEvent, name: string): ProtocolMessage {
  const pm: ProtocolMessage = {
    action: EVENT_ACTION[event.kind],
    id: event.id,
    channel: name,
    channelSerial: event.serial,
    timestamp: event.timestamp,
  };
  if (event.connectionId) pm.connectionId = event.connectionId;
  if (event.kind === 'message') pm.messages = event.messages;
  else if (event.kind === 'annotation') pm.annotations = event.annotations;
  else pm.presence = event.presence;
  return pm;
}

/** Encodes a channel event for one wire format. */
export function encodeEvent(event: ChannelEvent, name: string, format: WireFormat): EncodedFrame {
  return encodeMessage(eventFrame(event, name), format);
}

/** Encodes any protocol message into an EncodedFrame. */
export function encodeMessage(pm: ProtocolMessage, format: WireFormat): EncodedFrame {
  const out = encodeFrame(pm, format);
  return typeof out === 'string' ? { payload: Buffer.from(out), binary: false } : { payload: out, binary: true };
}

/** Bytes of an event's messages or presence members, as Ably's stats count them (data, name, clientId, extras). */
export function eventDataBytes(event: ChannelEvent): number {
  let n = 0;
  const items = eventItems(event);
  if (items) for (const m of items) n += messageSize(m);
  return n;
}
