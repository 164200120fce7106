import type { Message } from '@rowcast/protocol';
import { isMetaChannel } from '../channel/names.js';
import type { Logger } from '../ports/logger.js';
import type { ChannelDetails } from '../node-api.js';

/** The metachannels' names (Ably's). */
export const CHANNEL_LIFECYCLE = '[meta]channel.lifecycle';
export const CONNECTION_LIFECYCLE = '[meta]connection.lifecycle';
export const META_LOG = '[meta]log';

/**
 * Most metachannel publishes in flight at once; beyond it events are dropped. Bounds memory when the broker
 * stalls (a Redis outage queues publishes) while connections and errors keep producing events.
 */
export const MAX_IN_FLIGHT = 1000;

/** Occupancy events of one channel are coalesced over this long, so attach storms make one event, not hundreds. */
export const OCCUPANCY_COALESCE_MS = 250;

export interface MetachannelDeps {
  /** Publishes on a metachannel as Rowcast itself (node.publish without a connection or clientId). */
  publish(channel: string, messages: Message[]): Promise<unknown>;
  /** ChannelDetails of a channel now (status and occupancy), the data of channel lifecycle events. */
  details(channel: string): Promise<ChannelDetails>;
  /** Whether a channel has attached clients on this node now. */
  isActive(channel: string): boolean;
  /** Hands a channel's new occupancy to its subscribers that asked for it inband (`occupancy=metrics`). */
  deliverInband(channel: string, details: ChannelDetails): void;
  logger: Logger;
}

/** What connection lifecycle events carry about a connection. */
export interface ConnectionSummary {
  connectionId: string;
  clientId?: string;
}

/**
 * Publishes the metadata events Ably publishes on its metachannels: on `[meta]channel.lifecycle`,
 * `channel.opened` / `channel.closed` when a channel gains its first / loses its last attached client on this
 * node and `channel.occupancy` when its occupancy changed (data: ChannelDetails); on
 * `[meta]connection.lifecycle`, `connection.opened` / `connection.closed`; on `[meta]log`, errors no client
 * would otherwise see. At most MAX_IN_FLIGHT publishes wait at once; beyond that events are dropped (metadata,
 * never messages). Occupancy changes also go inband, as `[meta]occupancy` messages, to attachments that asked. Metachannels themselves produce no events (no event loops). Publishing is best effort:
 * a failure is logged as a warning and never disturbs the operation that caused the event.
 */
export class Metachannels {
  private readonly pendingOccupancy = new Set<string>();
  /** Channels announced as opened and not yet as closed. */
  private readonly open = new Set<string>();
  private occupancyTimer?: NodeJS.Timeout;
  /** Set while publishing to [meta]log, so a failure of that publish does not log itself again. */
  private logging = false;
  private inFlight = 0;

  constructor(private readonly deps: MetachannelDeps) {}

  channelOpened(channel: string): void {
    if (isMetaChannel(channel) || this.open.has(channel)) return;
    this.open.add(channel);
    void this.publishDetails('channel.opened', channel);
  }

  /**
   * The channel lost its last attached client. Checked again a turn later, so a client re-attaching (detach and
   * attach in one go) does not make the channel flap closed and open.
   */
  channelClosed(channel: string): void {
    if (isMetaChannel(channel) || !this.open.has(channel)) return;
    setImmediate(() => {
      if (this.deps.isActive(channel) || !this.open.delete(channel)) return;
      this.pendingOccupancy.delete(channel);
      void this.publishDetails('channel.closed', channel);
    });
  }

  /** Notes an occupancy change; the event goes out once per coalescing period per channel. */
  occupancyChanged(channel: string): void {
    if (isMetaChannel(channel)) return;
    this.pendingOccupancy.add(channel);
    this.occupancyTimer ??= setTimeout(() => {
      this.occupancyTimer = undefined;
      const channels = [...this.pendingOccupancy];
      this.pendingOccupancy.clear();
      for (const ch of channels) void this.publishDetails('channel.occupancy', ch);
    }, OCCUPANCY_COALESCE_MS).unref();
  }

  connectionOpened(conn: ConnectionSummary): void {
    this.send(CONNECTION_LIFECYCLE, { name: 'connection.opened', data: summary(conn), encoding: 'json' });
  }

  connectionClosed(conn: ConnectionSummary): void {
    this.send(CONNECTION_LIFECYCLE, { name: 'connection.closed', data: summary(conn), encoding: 'json' });
  }

  /** An error no client receives (a failed hook, a refused internal operation), as `[meta]log` shows them. */
  log(entry: { message: string; code?: number; statusCode?: number; [field: string]: unknown }): void {
    if (this.logging) return;
    this.logging = true;
    try {
      this.send(META_LOG, { name: 'log', data: JSON.stringify(entry), encoding: 'json' });
    } finally {
      this.logging = false;
    }
  }

  /** Stops pending occupancy events (the node is closing). */
  close(): void {
    clearTimeout(this.occupancyTimer);
    this.pendingOccupancy.clear();
  }

  private async publishDetails(name: string, channel: string): Promise<void> {
    if (this.inFlight >= MAX_IN_FLIGHT) return;
    this.inFlight++;
    try {
      const details = await this.deps.details(channel);
      if (name === 'channel.occupancy') this.deps.deliverInband(channel, details);
      await this.deps.publish(CHANNEL_LIFECYCLE, [{ name, data: JSON.stringify(details), encoding: 'json' }]);
    } catch (err) {
      this.deps.logger.warn({ err, channel, event: name }, 'metachannel event not published');
    } finally {
      this.inFlight--;
    }
  }

  private send(channel: string, message: Message): void {
    if (this.inFlight >= MAX_IN_FLIGHT) return;
    this.inFlight++;
    this.deps
      .publish(channel, [message])
      .catch((err) => this.deps.logger.warn({ err, channel }, 'metachannel event not published'))
      .finally(() => this.inFlight--);
  }
}

function summary(conn: ConnectionSummary): Message['data'] {
  return JSON.stringify(conn.clientId === undefined ? { connectionId: conn.connectionId } : conn);
}
