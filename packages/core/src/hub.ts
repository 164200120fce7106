import { Action, encodeFrame, type ProtocolMessage, type WireFormat } from '@rowcast/protocol';
import type { Broker } from './ports/broker.js';
import type { ChannelEvent } from './ports/events.js';
import type { EncodedFrame } from './transport.js';

/** One connection's interest in a channel, as the hub sees it. */
export interface Subscriber {
  /** The channel name as the client attached it (maybe with a `[?...]` qualifier): frames carry this name. */
  readonly name: string;
  readonly format: WireFormat;
  /** Receives an event with a lazily-encoded frame shared with every other subscriber. */
  deliver(event: ChannelEvent, frame: () => EncodedFrame): void;
}

/**
 * The node's local registry of channel subscribers and its fan-out. Each event is encoded at most once per
 * (wire format, channel name as attached) and the same bytes go to every subscriber.
 */
export class Hub {
  private readonly channels = new Map<string, Set<Subscriber>>();

  constructor(private readonly broker: Broker) {
    broker.setListener((event) => this.fanOut(event));
  }

  add(channel: string, sub: Subscriber): void {
    let set = this.channels.get(channel);
    if (!set) {
      set = new Set();
      this.channels.set(channel, set);
      this.broker.subscribe(channel);
    }
    set.add(sub);
  }

  remove(channel: string, sub: Subscriber): void {
    const set = this.channels.get(channel);
    if (!set?.delete(sub)) return;
    if (set.size === 0) {
      this.channels.delete(channel);
      this.broker.unsubscribe(channel);
    }
  }

  /** Local subscribers of a channel (occupancy). */
  subscribers(channel: string): ReadonlySet<Subscriber> {
    return this.channels.get(channel) ?? new Set();
  }

  private fanOut(event: ChannelEvent): void {
    const set = this.channels.get(event.channel);
    if (!set) return;
    const cache = new Map<string, EncodedFrame>();
    for (const sub of set) {
      const key = `${sub.format}\u0000${sub.name}`;
      sub.deliver(event, () => {
        let frame = cache.get(key);
        if (!frame) {
          frame = encodeEvent(event, sub.name, sub.format);
          cache.set(key, frame);
        }
        return frame;
      });
    }
  }
}

/** The protocol message carrying a channel event, as every subscriber receives it. */
export function eventFrame(event: ChannelEvent, name: string): ProtocolMessage {
  const pm: ProtocolMessage = {
    action: event.kind === 'message' ? Action.MESSAGE : Action.PRESENCE,
    id: event.id,
    channel: name,
    channelSerial: event.serial,
    timestamp: event.timestamp,
  };
  if (event.connectionId) pm.connectionId = event.connectionId;
  if (event.kind === 'message') pm.messages = event.messages;
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
  return typeof out === 'string'
    ? { payload: Buffer.from(out), binary: false }
    : { payload: out, binary: true };
}
