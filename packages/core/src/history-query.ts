import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import type { HistoryPage, HistoryQuery } from './node-api.js';
import type { ChannelEvent } from './ports/events.js';
import type { HistoryPageRequest } from './ports/history-store.js';
import { formatSerial, parseSerial } from './channel/serial.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const INDEX_WIDTH = 4;

/** Reads one page of a channel's events (HistoryStore.page, bound to the channel). */
export type EventPageReader = (request: HistoryPageRequest) => Promise<ChannelEvent[]>;

/**
 * Pages messages or presence events out of a channel's history as Ably's REST history does: `start`/`end`
 * (ms, inclusive), `direction` (backwards by default), `limit` (100 by default, at most 1000), an opaque
 * cursor for the next page (`<eventSerial>:<index>` of the last item given), and `fromSerial` (realtime
 * `history({untilAttach})`: nothing after that serial). Reads the store a page of events at a time, so a page
 * costs about its own size, not the channel's; events `pick` has nothing for (presence in a message query) are
 * skipped and the next events read.
 */
export async function pageHistory<T>(
  read: EventPageReader,
  pick: (e: ChannelEvent) => T[] | undefined,
  query: HistoryQuery,
): Promise<HistoryPage<T>> {
  const limit = query.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new ErrorInfo(`limit must be between 1 and ${MAX_LIMIT}`, ErrorCode.INVALID_PARAMETER_VALUE, 400);
  }
  const direction = query.direction ?? 'backwards';
  const backwards = direction === 'backwards';
  const cursor = query.cursor === undefined ? undefined : parseCursor(query.cursor);
  // The cursor's own event is read again (its items past the cursor still belong to the next page).
  let after = cursor && formatSerial(cursor.epoch, backwards ? cursor.seq + 1 : cursor.seq - 1);
  const wanted = limit + 1; // one more than the page, to know whether a next page exists
  const found: Array<{ item: T; pos: string }> = [];
  let rereadCursorEvent = cursor !== undefined;
  while (found.length < wanted) {
    // Each event gives at least one item unless it is of the other kind: ask for about what is still missing.
    const count = wanted - found.length + (rereadCursorEvent ? 1 : 0);
    rereadCursorEvent = false;
    const events = await read({ direction, after, notAfter: query.fromSerial, since: query.start, until: query.end, limit: count });
    for (const e of events) {
      const items = pick(e);
      if (!items) continue;
      for (let n = 0; n < items.length && found.length < wanted; n++) {
        const index = backwards ? items.length - 1 - n : n;
        if (cursor && e.serial === cursor.eventSerial && (backwards ? index >= cursor.index : index <= cursor.index)) continue;
        found.push({ item: items[index], pos: `${e.serial}:${String(index).padStart(INDEX_WIDTH, '0')}` });
      }
    }
    if (events.length < count) break;
    after = events[events.length - 1].serial;
  }
  const page = found.slice(0, limit);
  const result: HistoryPage<T> = { items: page.map((p) => p.item) };
  if (found.length > limit) result.next = page[page.length - 1].pos;
  return result;
}

/** A `next` cursor as pageHistory made it; anything else is refused (40003) rather than guessed at. */
function parseCursor(cursor: string): { eventSerial: string; epoch: string; seq: number; index: number } {
  const colon = cursor.lastIndexOf(':');
  const eventSerial = cursor.slice(0, colon);
  const index = Number(cursor.slice(colon + 1));
  const parsed = colon > 0 ? parseSerial(eventSerial) : undefined;
  if (!parsed || !/^\d+$/.test(cursor.slice(colon + 1)) || eventSerial.includes(':')) {
    throw new ErrorInfo(`Invalid history cursor "${cursor}"`, ErrorCode.INVALID_PARAMETER_VALUE, 400);
  }
  return { eventSerial, epoch: parsed.epoch, seq: parsed.seq, index };
}
