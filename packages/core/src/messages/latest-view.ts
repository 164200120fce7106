import { MessageAction } from '@rowcast/protocol';
import type { EngineContext } from '../context.js';
import type { AcceptedMessage } from '../node-api.js';
import type { ChannelEvent } from '../ports/events.js';
import type { HistoryPageRequest } from '../ports/history-store.js';
import type { MessageStore } from '../ports/message-store.js';
import { withoutEphemeral } from './ephemeral.js';

/**
 * How history shows mutable messages (REST history, rewind): each message once, where it was created, as it now
 * is (its latest version, with its annotation summary). The events of later versions, summaries and annotations
 * stay in the channel's event log for live delivery and resume, and are not history items of their own.
 */

/** The created messages of a stored event (none for presence, annotations, or changes to earlier messages). */
export function createdMessages(event: ChannelEvent): AcceptedMessage[] | undefined {
  if (event.kind !== 'message') return undefined;
  const messages = withoutEphemeral(event).messages;
  if (!messages?.some((m) => m.action !== undefined && m.action !== MessageAction.CREATE)) return messages;
  const created = messages.filter((m) => !m.action);
  return created.length ? created : undefined;
}

/** Events reduced to their created messages (rewind's backlog), events left with none dropped. */
export function createdEvents(events: ChannelEvent[]): ChannelEvent[] {
  const out: ChannelEvent[] = [];
  for (const e of events) {
    const messages = createdMessages(e);
    if (!messages?.length) continue;
    out.push(messages === e.messages ? e : { ...e, messages });
  }
  return out;
}

/** Each message replaced by its latest version where the channel's store has one. */
export async function latestVersions(ctx: EngineContext, channel: string, messages: AcceptedMessage[]): Promise<AcceptedMessage[]> {
  if (messages.length === 0) return messages;
  const latest = await ctx.messageStores(channel).latest(
    channel,
    messages.map((m) => m.serial),
  );
  return messages.map((m, i) => latest[i] ?? m);
}

/** The events of a rewind backlog with each message as it now is. */
export async function latestEvents(ctx: EngineContext, channel: string, events: ChannelEvent[]): Promise<ChannelEvent[]> {
  const all = events.flatMap((e) => e.messages ?? []);
  const latest = await latestVersions(ctx, channel, all);
  let k = 0;
  return events.map((e) => {
    const messages = (e.messages ?? []).map(() => latest[k++]);
    return { ...e, messages };
  });
}

/**
 * A store that answers history itself (MessageStore.history), read as the events pageHistory pages through:
 * consecutive messages of one event serial (`<eventSerial>:<index>`) grouped back into their event.
 */
export async function storeHistoryEvents(store: MessageStore, channel: string, request: HistoryPageRequest): Promise<ChannelEvent[]> {
  const messages = (await store.history?.(channel, request)) ?? [];
  const events: ChannelEvent[] = [];
  for (const m of messages) {
    const serial = m.serial.slice(0, m.serial.lastIndexOf(':'));
    const last = events[events.length - 1];
    if (last && last.serial === serial) last.messages!.push(m);
    else events.push({ kind: 'message', channel, serial, id: m.id, timestamp: m.timestamp, messages: [m] });
  }
  return events;
}
