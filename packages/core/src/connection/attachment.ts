import type { EventFrames, Subscriber } from '../hub.js';
import type { ChannelEvent } from '../ports/events.js';
import type { WireFormat } from '@rowcast/protocol';
import { encodeEvent } from '../hub.js';
import type { RealtimeConnection } from './connection.js';
import type { MessageFilter } from '../channel/filter.js';

/** What a connection may see on a channel, from its capability and requested modes. */
export interface ChannelRights {
  subscribe: boolean;
  presenceSubscribe: boolean;
}

/**
 * A connection's attachment to one channel. While the attach is being answered (history and presence reads
 * may be async), live events are held in `pending` and released after the ATTACHED/SYNC/replay frames, so
 * the client sees one ordered stream with no gap and no duplicate.
 */
export class Attachment implements Subscriber {
  pending: ChannelEvent[] | null = [];

  constructor(
    readonly conn: RealtimeConnection,
    /** Name as attached (may carry a `[?...]` qualifier); frames use it. */
    readonly name: string,
    /** The underlying channel. */
    readonly channel: string,
    readonly rights: ChannelRights,
    /** A derived channel's subscription filter: only the messages it passes are delivered. */
    readonly filter?: MessageFilter,
    /** Attached with `occupancy=metrics`: gets `[meta]occupancy` messages when the channel's occupancy changes. */
    readonly inbandOccupancy = false,
  ) {}

  get format(): WireFormat {
    return this.conn.format;
  }

  deliver(event: ChannelEvent, frames: EventFrames): void {
    if (this.pending) {
      this.pending.push(event);
      return;
    }
    if (!this.wants(event)) return;
    const passed = this.filtered(event);
    if (passed === event) this.conn.sendFrame(frames.for(this));
    else if (passed) this.conn.sendFrame(encodeEvent(passed, this.name, this.format));
  }

  /** Sends an event encoded just for this connection (replay, backlog, pending release). */
  deliverOwn(event: ChannelEvent): void {
    const passed = this.wants(event) ? this.filtered(event) : undefined;
    if (passed) this.conn.sendFrame(encodeEvent(passed, this.name, this.format));
  }

  /**
   * The event as this attachment's filter lets it through: itself when unfiltered or when every message
   * passes, a copy with the passing messages, or undefined when none does. A filtered attachment gets no
   * presence (Ably's derived channels carry messages only).
   */
  private filtered(event: ChannelEvent): ChannelEvent | undefined {
    if (!this.filter) return event;
    if (event.kind !== 'message' || !event.messages) return undefined;
    const messages = event.messages.filter(this.filter);
    if (messages.length === event.messages.length) return event;
    return messages.length ? { ...event, messages } : undefined;
  }

  /**
   * Messages need `subscribe` and respect `echo=false`. Presence needs `subscribe` too, except that a
   * connection always sees its own presence events (the SDK re-enters from them after a reconnect).
   */
  wants(event: ChannelEvent): boolean {
    if (event.kind === 'message') {
      return this.rights.subscribe && (this.conn.echo || event.connectionId !== this.conn.id);
    }
    if (this.rights.presenceSubscribe) return true;
    return event.presence?.some((p) => p.connectionId === this.conn.id) ?? false;
  }
}
