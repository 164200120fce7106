import { payloadDeliverable, type MessageData } from '@rowcast/protocol';
import type { AcceptedPresence } from '../node-api.js';
import type { HistoryStore } from '../ports/history-store.js';
import type { Logger } from '../ports/logger.js';
import type { ChannelEvent } from '../ports/events.js';

/**
 * What the engine delivers from storage is what it would accept today. Inbound checks (MAX_PAYLOAD_DEPTH) keep
 * undecodable payloads out, but a store may still hold one written by an older version: delivering it would fail
 * the encoder and, with it, a whole attach, resume, SYNC or history page. Such an item is skipped with a warning
 * instead, so one bad stored event cannot deny a channel to every client.
 */

/** True when every client can be sent this message or presence message (its payload fields are not too deep). */
export function deliverableItem(item: { data?: unknown; extras?: unknown }): boolean {
  return payloadDeliverable(item.extras) && payloadDeliverable(item.data);
}

/** The items an event carries: its messages, presence changes or annotations. */
export function eventItems(event: ChannelEvent): Array<{ data?: MessageData; name?: string; clientId?: string; extras?: unknown }> | undefined {
  if (event.kind === 'message') return event.messages;
  if (event.kind === 'annotation') return event.annotations;
  return event.presence;
}

/** The event with `items` in place of the ones it carries. */
function withItems(event: ChannelEvent, items: unknown[]): ChannelEvent {
  if (event.kind === 'message') return { ...event, messages: items as ChannelEvent['messages'] };
  if (event.kind === 'annotation') return { ...event, annotations: items as ChannelEvent['annotations'] };
  return { ...event, presence: items as ChannelEvent['presence'] };
}

/** The event without its undeliverable items (the same object when all are fine); undefined when none is left. */
export function deliverableEvent(event: ChannelEvent, logger: Logger): ChannelEvent | undefined {
  const items = eventItems(event);
  if (!items || items.every(deliverableItem)) return event;
  logger.warn({ channel: event.channel, serial: event.serial, eventId: event.id }, 'skipping stored items no client could decode');
  const kept = items.filter(deliverableItem);
  return kept.length ? withItems(event, kept) : undefined;
}

/** Events as deliverableEvent leaves them, in order. */
export function deliverableEvents(events: ChannelEvent[], logger: Logger): ChannelEvent[] {
  let out: ChannelEvent[] | undefined;
  for (let i = 0; i < events.length; i++) {
    const kept = deliverableEvent(events[i]!, logger);
    if (kept === events[i] && !out) continue;
    out ??= events.slice(0, i);
    if (kept) out.push(kept);
  }
  return out ?? events;
}

/** Presence members without those no client could decode (skipped with a warning). */
export function deliverableMembers(channel: string, members: AcceptedPresence[], logger: Logger): AcceptedPresence[] {
  if (members.every(deliverableItem)) return members;
  const kept = members.filter(deliverableItem);
  logger.warn({ channel, skipped: members.length - kept.length }, 'skipping stored presence members no client could decode');
  return kept;
}

/**
 * The reading side of `store` for delivery (resume, rewind, REST history): events filtered by deliverableEvents.
 * Writes go to the store unchanged.
 */
export function deliverableHistory(store: HistoryStore, logger: Logger): HistoryStore {
  return {
    append: (event) => store.append(event),
    eventsAfter: async (channel, serial) => {
      const events = await store.eventsAfter(channel, serial);
      return events && deliverableEvents(events, logger);
    },
    events: async (channel) => deliverableEvents(await store.events(channel), logger),
    // A page keeps an emptied event in place of a dropped one: its length tells the pager whether more follow.
    page: async (channel, request) => (await store.page(channel, request)).map((e) => deliverableEvent(e, logger) ?? withItems(e, [])),
    size: () => store.size(),
    close: () => store.close?.(),
  };
}
