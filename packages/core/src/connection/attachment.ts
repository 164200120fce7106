import type { EventFrames, Subscriber } from '../hub.js';
import type { ChannelEvent } from '../ports/events.js';
import { Action, Flag, type Capability, type ErrorInfo, type WireFormat } from '@rowcast/protocol';
import { encodeEvent, eventDataBytes } from '../hub.js';
import { modesAllowed } from '../channel/modes.js';
import { isMetaChannel } from '../channel/names.js';
import type { EncodedFrame } from '../transport.js';
import type { RealtimeConnection } from './connection.js';
import { syncFrames } from './presence.js';
import type { MessageFilter } from '../channel/filter.js';

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
  /** A discontinuity that arrived while the attach was being answered: signalled once it is (see handleAttach). */
  deferredDiscontinuity?: { serial: string; reason: ErrorInfo };

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
    /** A derived channel's subscription filter: only the messages it passes are delivered. */
    readonly filter?: MessageFilter,
    /** Attached with `occupancy=metrics`: gets `[meta]occupancy` messages when the channel's occupancy changes. */
    readonly inbandOccupancy = false,
  ) {}

  /**
   * Grants the requested modes `capability` allows, at attach and again whenever the connection re-authenticates.
   * Derived (filtered) channels and metachannels are for subscribing only, as on Ably: a filtered one gets
   * messages alone, a metachannel its presence too.
   */
  grant(capability: Capability): void {
    let modes = this.requestedModes & modesAllowed(capability, this.channel);
    if (this.filter) modes &= Flag.SUBSCRIBE;
    else if (isMetaChannel(this.channel)) modes &= Flag.SUBSCRIBE | Flag.PRESENCE_SUBSCRIBE;
    this.modes = modes;
  }

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
    if (!this.wants(event)) return;
    const passed = this.filtered(event);
    if (passed === event) {
      if (this.sendEncoded(event, () => frames.for(this))) this.countOut(event, frames.dataBytes);
    } else if (passed) {
      if (this.sendEncoded(passed, () => encodeEvent(passed, this.name, this.format))) this.countOut(passed, eventDataBytes(passed));
    }
  }

  /**
   * The channel lost continuity on this node: tells the client as Ably does, with an ATTACHED that is not
   * RESUMED and carries the reason (the SDK emits the channel's UPDATE event with `resumed: false`), followed
   * by a presence SYNC of the current members. Live events wait meanwhile, so they follow the SYNC in order.
   */
  discontinuity(serial: string, reason: ErrorInfo): void {
    if (this.pending) {
      this.deferredDiscontinuity ??= { serial, reason };
      return;
    }
    this.pending = [];
    void this.signalDiscontinuity(serial, reason);
  }

  private async signalDiscontinuity(serial: string, reason: ErrorInfo): Promise<void> {
    const { ctx } = this.conn;
    try {
      const members = this.rights.presenceSubscribe ? await ctx.presence.members(this.channel) : [];
      if (this.conn.attachments.get(this.name) !== this) return;
      const flags = this.modes | (members.length ? Flag.HAS_PRESENCE : 0);
      this.conn.send({ action: Action.ATTACHED, channel: this.name, channelSerial: serial, flags, error: reason.toJSON() });
      for (const frame of syncFrames(this.name, members, ctx.config.presenceSyncPageSize)) this.conn.send(frame);
    } catch (err) {
      ctx.logger.error({ err, connectionId: this.conn.id, channel: this.channel }, 'signalling a channel discontinuity failed');
    } finally {
      const held = this.pending ?? [];
      this.pending = null;
      for (const event of held) this.deliverOwn(event);
    }
  }

  /** Sends an event encoded just for this connection (replay, backlog, pending release). */
  deliverOwn(event: ChannelEvent): void {
    const passed = this.wants(event) ? this.filtered(event) : undefined;
    if (passed && this.sendEncoded(passed, () => encodeEvent(passed, this.name, this.format))) this.countOut(passed, eventDataBytes(passed));
  }

  /**
   * An event the encoder refuses (a payload stored by an older version that no client could decode) is skipped
   * with a warning: failing here would fail the fan-out, attach or resume for the channel's other events too.
   * True when the frame was sent.
   */
  private sendEncoded(event: ChannelEvent, encode: () => EncodedFrame): boolean {
    let frame: EncodedFrame;
    try {
      frame = encode();
    } catch (err) {
      this.conn.ctx.logger.warn(
        { err, channel: this.channel, serial: event.serial, format: this.format },
        'skipping an event that cannot be encoded',
      );
      return false;
    }
    this.conn.sendFrame(frame);
    return true;
  }

  private countOut(event: ChannelEvent, bytes: number): void {
    const c = this.conn.ctx.counters;
    if (event.kind === 'annotation') {
      // Ably counts annotations as messages.
      c.messagesOut += event.annotations?.length ?? 0;
      c.messageBytesOut += bytes;
    } else if (event.kind === 'message') {
      c.messagesOut += event.messages?.length ?? 0;
      c.messageBytesOut += bytes;
    } else {
      c.presenceOut += event.presence?.length ?? 0;
      c.presenceBytesOut += bytes;
    }
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
   * Messages need the subscribe mode and respect `echo=false`; annotations need annotation_subscribe (only
   * clients that ask get them, as on Ably). Presence needs presence_subscribe, except that a connection always
   * sees its own presence events (the SDK re-enters from them after a reconnect).
   */
  wants(event: ChannelEvent): boolean {
    if (event.kind === 'message') {
      return this.has(Flag.SUBSCRIBE) && (this.conn.echo || event.connectionId !== this.conn.id);
    }
    if (event.kind === 'annotation') return this.has(Flag.ANNOTATION_SUBSCRIBE);
    if (this.has(Flag.PRESENCE_SUBSCRIBE)) return true;
    return event.presence?.some((p) => p.connectionId === this.conn.id) ?? false;
  }
}
