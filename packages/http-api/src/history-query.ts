import type { HistoryPage, HistoryQuery } from '@rowcast/core';
import { ErrorCode, ErrorInfo } from '@rowcast/protocol';

/** Ably's page size bounds for history and presence listings. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

function badParam(name: string, why: string): ErrorInfo {
  return new ErrorInfo(`Invalid value for ${name}: ${why}`, ErrorCode.INVALID_PARAMETER_VALUE, 400);
}

function timeParam(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw badParam(name, 'expected milliseconds since the epoch');
  return n;
}

/** Reads Ably's history params (`start`, `end`, `direction`, `limit`) plus Rowcast's opaque `cursor`. */
export function parseHistoryQuery(params: URLSearchParams): HistoryQuery {
  const query: HistoryQuery = { direction: 'backwards', limit: DEFAULT_LIMIT };
  const start = timeParam(params, 'start');
  const end = timeParam(params, 'end');
  if (start !== undefined) query.start = start;
  if (end !== undefined) query.end = end;
  if (start !== undefined && end !== undefined && start > end) throw badParam('start', 'must not be after end');
  const direction = params.get('direction');
  if (direction !== null && direction !== '') {
    if (direction !== 'forwards' && direction !== 'backwards') throw badParam('direction', 'forwards or backwards');
    query.direction = direction;
  }
  const limit = params.get('limit');
  if (limit !== null && limit !== '') {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw badParam('limit', `an integer from 1 to ${MAX_LIMIT}`);
    query.limit = n;
  }
  const cursor = params.get('cursor');
  if (cursor) query.cursor = cursor;
  // Sent by realtime `history({ untilAttach: true })`: nothing after the serial the channel attached at.
  const fromSerial = params.get('from_serial');
  if (fromSerial) Object.assign(query, { fromSerial });
  return query;
}

/**
 * The `Link` header for a page, as the SDK parses it: `<./name?query>; rel="first|current|next"`. The SDK
 * keeps only the query and re-requests its original path, so `name` is just the last path segment and the
 * cursor is opaque.
 */
export function linkHeader(name: string, query: HistoryQuery, page: HistoryPage<unknown>): string {
  const base = new URLSearchParams();
  if (query.start !== undefined) base.set('start', String(query.start));
  if (query.end !== undefined) base.set('end', String(query.end));
  base.set('direction', query.direction ?? 'backwards');
  base.set('limit', String(query.limit ?? DEFAULT_LIMIT));
  const fromSerial = (query as { fromSerial?: string }).fromSerial;
  if (fromSerial) base.set('from_serial', fromSerial);
  const link = (params: URLSearchParams, rel: string) => `<./${name}?${params.toString()}>; rel="${rel}"`;
  const withCursor = (cursor: string) => {
    const p = new URLSearchParams(base);
    p.set('cursor', cursor);
    return p;
  };
  const links = [link(base, 'first'), link(query.cursor ? withCursor(query.cursor) : base, 'current')];
  if (page.next) links.push(link(withCursor(page.next), 'next'));
  return links.join(', ');
}
