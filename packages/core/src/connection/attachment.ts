import type { EventFrames, Subscriber } from '../hub.js';
import type { ChannelEvent } from '../ports/events.js';
import type { EncodedFrame } from '../transport.js';
import type { WireFormat } from '@rowcast/protocol';
import { encodeEvent } from '../hub.js';
import type { RealtimeConnection } from './connection.js';

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
  ) {}

  get format(): WireFormat {
    return this.conn.format;
  }

  deliver(event: ChannelEvent, frames: EventFrames): void {
    if (this.pending) {
      this.pending.push(event);
      return;
    }
    if (this.wants(event)) this.sendEncoded(event, () => frames.for(this));
  }

  /** Sends an event encoded just for this connection (replay, backlog, pending release). */
  deliverOwn(event: ChannelEvent): void {
    if (this.wants(event)) this.sendEncoded(event, () => encodeEvent(event, this.name, this.format));
  }

  /**
   * An event the encoder refuses (a payload stored by an older version that no client could decode) is skipped
   * with a warning: failing here would fail the fan-out, attach or resume for the channel's other events too.
   */
  private sendEncoded(event: ChannelEvent, encode: () => EncodedFrame): void {
    let frame: EncodedFrame;
    try {
      frame = encode();
    } catch (err) {
      this.conn.ctx.logger.warn(
        { err, channel: this.channel, serial: event.serial, format: this.format },
        'skipping an event that cannot be encoded',
      );
      return;
    }
    this.conn.sendFrame(frame);
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
