import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import { combineEntry, APP_STATS_SCHEMA } from './entries.js';
import { floorToUnit, intervalId, nextInterval, parseStatsTime, secondId, STATS_UNITS, type StatsUnit } from './interval.js';
import type { StatsStore } from './stats-store.js';

/** A parsed `GET /stats` query. Times are interval starts of `unit` (end inclusive: its whole interval counts). */
export interface StatsQuery {
  start: number;
  end: number;
  unit: StatsUnit;
  direction: 'forwards' | 'backwards';
  limit: number;
  /** Paging: the interval the page starts at (a later page of the same query; absent on the first page). */
  cursor?: number;
}

/** One record as Ably's REST API returns it (what the SDK's Stats type holds). */
export interface StatsRecord {
  intervalId: string;
  unit: StatsUnit;
  schema: string;
  appId: string;
  inProgress?: string;
  entries: Record<string, number>;
}

/** A page of records, and the cursor of the next page when there is one. */
export interface StatsPage {
  items: StatsRecord[];
  next?: number;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

function bad(name: string, why: string): ErrorInfo {
  return new ErrorInfo(`Invalid value for ${name}: ${why}`, ErrorCode.INVALID_PARAMETER_VALUE, 400);
}

/**
 * Reads `start`, `end` (ms or interval ids), `unit` (or its older name `by`), `direction` (default backwards)
 * and `limit` (default 100, at most 1000). Both times are rounded down to the unit.
 */
export function parseStatsQuery(params: URLSearchParams, now: number): StatsQuery {
  const rawUnit = params.get('unit') || params.get('by') || 'minute';
  if (!(STATS_UNITS as readonly string[]).includes(rawUnit)) throw bad('unit', STATS_UNITS.join(', '));
  const unit = rawUnit as StatsUnit;
  const start = params.get('start') ? parseStatsTime('start', params.get('start')!) : 0;
  const end = params.get('end') ? parseStatsTime('end', params.get('end')!) : now;
  if (start > end) throw bad('start', 'must not be after end');
  const direction = params.get('direction') || 'backwards';
  if (direction !== 'forwards' && direction !== 'backwards') throw bad('direction', 'forwards or backwards');
  let limit = DEFAULT_LIMIT;
  if (params.get('limit')) {
    limit = Number(params.get('limit'));
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw bad('limit', `an integer from 1 to ${MAX_LIMIT}`);
  }
  const query: StatsQuery = { start: floorToUnit(start, unit), end: floorToUnit(end, unit), unit, direction, limit };
  if (params.get('cursor')) query.cursor = parseStatsTime('cursor', params.get('cursor')!);
  return query;
}

/** The query's parameters as a query string (for Link headers): the first page, or the page at `cursor`. */
export function statsQueryParams(q: StatsQuery, cursor?: number): URLSearchParams {
  const params = new URLSearchParams({ start: String(q.start), end: String(q.end), unit: q.unit, direction: q.direction, limit: String(q.limit) });
  if (cursor !== undefined) params.set('cursor', String(cursor));
  return params;
}

/**
 * Answers a query from per-minute stats: minutes are combined into intervals of the unit (sums add, peaks take
 * the largest), only intervals with entries are returned (Ably's stats are sparse), the current interval
 * carries `inProgress`.
 */
export async function queryStats(store: StatsStore, q: StatsQuery, appId: string, now: number): Promise<StatsPage> {
  // A later page covers the rest of the range from its cursor on (forwards) or back (backwards).
  const from = q.cursor !== undefined && q.direction === 'forwards' ? Math.max(q.start, q.cursor) : q.start;
  const to = q.cursor !== undefined && q.direction === 'backwards' ? Math.min(q.end, q.cursor) : q.end;
  // By minute, one more than a page is all that is needed (it tells whether there is a next page).
  const nearest = q.unit === 'minute' ? { count: q.limit + 1, direction: q.direction } : undefined;
  const minutes = await store.minutes(from, nextInterval(to, q.unit), nearest);
  const byInterval = new Map<number, Record<string, number>>();
  for (const { minute, entries } of minutes) {
    const start = floorToUnit(minute, q.unit);
    let acc = byInterval.get(start);
    if (!acc) byInterval.set(start, (acc = {}));
    for (const [name, v] of Object.entries(entries)) acc[name] = combineEntry(name, acc[name], v);
  }
  const starts = [...byInterval.keys()].sort((a, b) => (q.direction === 'forwards' ? a - b : b - a));
  const current = floorToUnit(now, q.unit);
  const items = starts.slice(0, q.limit).map((start) => {
    const record: StatsRecord = {
      intervalId: intervalId(start, q.unit),
      unit: q.unit,
      schema: APP_STATS_SCHEMA,
      appId,
      entries: byInterval.get(start)!,
    };
    if (start === current) record.inProgress = secondId(now);
    return record;
  });
  if (starts.length <= q.limit) return { items };
  return { items, next: starts[q.limit] };
}
