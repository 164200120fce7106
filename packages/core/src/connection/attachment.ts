import type { EventFrames, Subscriber } from '../hub.js';
import type { ChannelEvent } from '../ports/events.js';
import { Flag, type WireFormat } from '@rowcast/protocol';
import { encodeEvent } from '../hub.js';
import type { RealtimeConnection } from './connection.js';

/** What a connection may see on a channel, from its granted modes. */
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
    /** Channel mode flags the ATTACH asked for (explicitly or by default). */
    readonly requestedModes: number,
    /**
     * Channel mode flags granted: the request narrowed to the capability, in ATTACHED and again whenever the
     * connection re-authenticates. Publishing or entering presence outside them is refused, and events are
     * delivered only as they allow.
     */
    public modes: number,
  ) {}

  /** Whether every mode in `flags` was granted. */
  has(flags: number): boolean {
    return (this.modes & flags) === flags;
  }

  get rights(): ChannelRights {
    return { subscribe: this.has(Flag.SUBSCRIBE), presenceSubscribe: this.has(Flag.PRESENCE_SUBSCRIBE) };
  }

  get format(): WireFormat {
    return this.conn.format;
  }

  deliver(event: ChannelEvent, frames: EventFrames): void {
    if (this.pending) {
      this.pending.push(event);
      return;
    }
    if (this.wants(event)) this.conn.sendFrame(frames.for(this));
  }

  /** Sends an event encoded just for this connection (replay, backlog, pending release). */
  deliverOwn(event: ChannelEvent): void {
    if (this.wants(event)) this.conn.sendFrame(encodeEvent(event, this.name, this.format));
  }

  /**
   * Messages need the subscribe mode and respect `echo=false`. Presence needs presence_subscribe, except that a
   * connection always sees its own presence events (the SDK re-enters from them after a reconnect).
   */
  wants(event: ChannelEvent): boolean {
    if (event.kind === 'message') {
      return this.has(Flag.SUBSCRIBE) && (this.conn.echo || event.connectionId !== this.conn.id);
    }
    if (this.has(Flag.PRESENCE_SUBSCRIBE)) return true;
    return event.presence?.some((p) => p.connectionId === this.conn.id) ?? false;
  }
}
