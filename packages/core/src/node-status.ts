import type { ConnectionTable } from './connection/connection-table.js';
import type { Hub } from './hub.js';

/** Live levels of a node (RealtimeNode.liveCounts). */
export interface LiveCounts {
  /** Connections with a transport. */
  connected: number;
  /** Connections kept for a resume, without a transport. */
  disconnected: number;
  /** Channels with at least one subscriber here. */
  channels: number;
  /** Channel attachments of all connections here. */
  attachments: number;
}

/** One connection as the admin page lists it (RealtimeNode.localConnections). */
export interface ConnectionSummary {
  id: string;
  clientId?: string;
  state: string;
  /** Channels attached, by the name the client used. */
  channels: string[];
  /** Channels this connection is present on. */
  presenceChannels: string[];
}

/** Counted on demand (a scrape, a stats flush), never on the message path. */
export function liveCounts(connections: ConnectionTable, hub: Hub): LiveCounts {
  let connected = 0;
  let attachments = 0;
  for (const conn of connections.all()) {
    if (conn.state === 'connected') connected++;
    attachments += conn.attachments.size;
  }
  return { connected, disconnected: connections.size - connected, channels: hub.channelCount, attachments };
}

export function connectionSummaries(connections: ConnectionTable): ConnectionSummary[] {
  return [...connections.all()].map((c) => ({
    id: c.id,
    clientId: c.identity.clientId,
    state: c.state,
    channels: [...c.attachments.keys()],
    presenceChannels: [...c.presenceChannels],
  }));
}
