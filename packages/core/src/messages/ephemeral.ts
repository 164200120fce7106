import type { Message } from '@rowcast/protocol';
import type { ChannelEvent } from '../ports/events.js';

/**
 * Ephemeral messages (`extras.ephemeral: true`) are delivered to the subscribers attached when they are
 * published and nothing else: as on Ably they are left out of history, rewind, the replay of a resumed attach
 * and integrations (accepted hooks: rules, webhooks).
 */
export function isEphemeral(m: Message): boolean {
  return m.extras?.ephemeral === true;
}

/** The message event without its ephemeral messages; the same object when it has none. Other events as they are. */
export function withoutEphemeral(event: ChannelEvent): ChannelEvent {
  if (event.kind !== 'message' || !event.messages?.some(isEphemeral)) return event;
  return { ...event, messages: event.messages.filter((m) => !isEphemeral(m)) };
}

/**
 * Stored events as a reader may see them: ephemeral messages removed, and message events left with no message
 * dropped. Applied on every read, so that history stores that keep the whole event (a shared store appends in
 * the same atomic step that sequences) never show an ephemeral message either.
 */
export function storedView(events: ChannelEvent[]): ChannelEvent[] {
  const out: ChannelEvent[] = [];
  for (const event of events) {
    const kept = withoutEphemeral(event);
    if (kept.kind === 'message' && !kept.messages?.length) continue;
    out.push(kept);
  }
  return out;
}
