import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import type { HistoryPage, HistoryQuery } from './node-api.js';
import type { ChannelEvent } from './ports/events.js';
import { isAfter } from './channel/order.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** An item of history with the position it is paged by. */
interface Positioned<T> {
  item: T;
  /** Sortable position: `<eventSerial>:<index>`. */
  pos: string;
  eventSerial: string;
  timestamp: number;
}

/**
 * Pages messages or presence events out of a channel's history as Ably's REST history does: `start`/`end`
 * (ms, inclusive), `direction` (backwards by default), `limit` (100 by default, at most 1000), an opaque
 * cursor for the next page, and `fromSerial` (realtime `history({untilAttach})`: nothing after that serial).
 */
export function pageHistory<T>(events: ChannelEvent[], pick: (e: ChannelEvent) => T[] | undefined, query: HistoryQuery): HistoryPage<T> {
  const limit = query.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new ErrorInfo(`limit must be between 1 and ${MAX_LIMIT}`, ErrorCode.INVALID_PARAMETER_VALUE, 400);
  }
  const backwards = (query.direction ?? 'backwards') === 'backwards';
  const all: Array<Positioned<T>> = [];
  for (const e of events) {
    if (query.fromSerial && isAfter(e.serial, query.fromSerial)) continue;
    const items = pick(e);
    if (!items) continue;
    items.forEach((item, i) => {
      all.push({ item, pos: `${e.serial}:${String(i).padStart(4, '0')}`, eventSerial: e.serial, timestamp: e.timestamp });
    });
  }
  let candidates = all.filter(
    (p) => (query.start === undefined || p.timestamp >= query.start) && (query.end === undefined || p.timestamp <= query.end),
  );
  if (backwards) candidates.reverse();
  if (query.cursor) {
    const cursor = query.cursor;
    candidates = candidates.filter((p) => (backwards ? p.pos < cursor : p.pos > cursor));
  }
  const page = candidates.slice(0, limit);
  const result: HistoryPage<T> = { items: page.map((p) => p.item) };
  if (candidates.length > limit) result.next = page[page.length - 1].pos;
  return result;
}
