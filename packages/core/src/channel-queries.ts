import { parseChannelName } from './channel/names.js';
import { Attachment } from './connection/attachment.js';
import type { EngineContext } from './context.js';
import { pageHistory } from './history-query.js';
import { createdMessages, latestVersions, storeHistoryEvents } from './messages/latest-view.js';
import { deliverableMembers } from './messages/deliverable.js';
import type { AcceptedMessage, AcceptedPresence, ChannelDetails, HistoryPage, HistoryQuery } from './node-api.js';

/** What REST and the admin ask of a channel: its history, presence and status, read from the node's ports. */

/**
 * A page of the channel's message history (ephemeral messages are never history): each message at its create,
 * as it now is (messages/latest-view.ts), read from the channel's MessageStore when it keeps history itself.
 */
export async function messageHistory(ctx: EngineContext, channel: string, query: HistoryQuery): Promise<HistoryPage<AcceptedMessage>> {
  const { base } = parseChannelName(channel);
  const store = ctx.messageStores(base);
  const page = await pageHistory(
    store.history ? (request) => storeHistoryEvents(store, base, request) : (request) => ctx.history.page(base, request),
    // a shared store may keep ephemeral messages in the event it sequenced
    createdMessages,
    query,
  );
  return { ...page, items: await latestVersions(ctx, base, page.items) };
}

/** A page of the channel's presence events. */
export function presenceHistory(ctx: EngineContext, channel: string, query: HistoryQuery): Promise<HistoryPage<AcceptedPresence>> {
  const { base } = parseChannelName(channel);
  return pageHistory(
    (request) => ctx.history.page(base, request),
    (e) => (e.kind === 'presence' ? e.presence : undefined),
    query,
  );
}

/** The channel's current members a client can be sent, optionally by clientId and connectionId. */
export async function presenceMembers(
  ctx: EngineContext,
  channel: string,
  filter?: { clientId?: string; connectionId?: string },
): Promise<AcceptedPresence[]> {
  const { base } = parseChannelName(channel);
  const members = deliverableMembers(base, await ctx.presence.members(base), ctx.logger);
  return members.filter(
    (m) => (!filter?.clientId || m.clientId === filter.clientId) && (!filter?.connectionId || m.connectionId === filter.connectionId),
  );
}

/** Ably's ChannelDetails: whether the channel is active and its occupancy on this node. */
export async function channelDetails(ctx: EngineContext, channel: string): Promise<ChannelDetails> {
  const { base } = parseChannelName(channel);
  const subs = [...ctx.hub.subscribers(base)].filter((s): s is Attachment => s instanceof Attachment);
  const members = await ctx.presence.members(base);
  const connections = new Set(subs.map((s) => s.conn.id));
  const presenceConnections = new Set(members.map((m) => m.connectionId));
  return {
    channelId: base,
    name: base,
    status: {
      isActive: subs.length > 0 || members.length > 0,
      occupancy: {
        metrics: {
          connections: connections.size,
          publishers: subs.length,
          subscribers: subs.filter((s) => s.rights.subscribe).length,
          presenceConnections: presenceConnections.size,
          presenceMembers: members.length,
          presenceSubscribers: subs.filter((s) => s.rights.presenceSubscribe).length,
        },
      },
    },
  };
}
