import type pg from 'pg';
// The page and this route share one row type: /api/messages returns exactly what the change stream publishes.
import type { ChatRow } from '../src/lib/rows.js';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 100;

/**
 * Up to `limit` messages with `incremental_record_id` below `before` (or the newest ones), newest first.
 * row_to_json keeps bigints as JSON numbers, exactly like the rows clients receive on `incoming-chat`.
 */
export async function readHistory(db: pg.Pool, before: number | undefined, limit: number): Promise<ChatRow[]> {
  const res = await db.query<{ row: ChatRow }>(
    `SELECT row_to_json(c) AS row FROM chat_data c
     WHERE $1::bigint IS NULL OR c.incremental_record_id < $1::bigint
     ORDER BY c.incremental_record_id DESC LIMIT $2`,
    [before ?? null, limit],
  );
  return res.rows.map((r) => r.row);
}

/** Parses `before` and `limit` query values; returns an error text for a bad one. */
export function parsePaging(url: URL): { before?: number; limit: number } | { error: string } {
  const rawBefore = url.searchParams.get('before');
  const rawLimit = url.searchParams.get('limit');
  let before: number | undefined;
  if (rawBefore !== null && rawBefore !== '') {
    if (!/^\d{1,15}$/.test(rawBefore)) return { error: 'before must be a positive integer' };
    before = Number(rawBefore);
  }
  let limit = DEFAULT_PAGE;
  if (rawLimit !== null && rawLimit !== '') {
    if (!/^\d{1,4}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > MAX_PAGE) {
      return { error: `limit must be between 1 and ${MAX_PAGE}` };
    }
    limit = Number(rawLimit);
  }
  return { before, limit };
}
