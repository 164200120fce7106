import type pg from 'pg';
// The page and this route share one row type: /api/messages returns exactly what the change stream publishes.
import { reactionsOf, type ChatRow } from '../src/lib/rows.js';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 100;

/**
 * Up to `limit` messages with `incremental_record_id` below `before` (or the newest ones), newest first.
 * row_to_json keeps bigints as JSON numbers, exactly like the rows clients receive on `incoming-chat`. Each row
 * comes with the serial of its message on `incoming-chat` and its reactions, from the change stream's tables
 * (rowcast_connector_serials: row -> serial; rowcast_chat_messages: the message's annotation summary) when they
 * exist; without them (no change stream yet) the rows come alone.
 */
export async function readHistory(db: pg.Pool, before: number | undefined, limit: number): Promise<ChatRow[]> {
  const withMessages = await hasMessageTables(db);
  const res = await db.query<{ row: ChatRow; serial: string | null; summary: Record<string, unknown> | null }>(
    withMessages
      ? `SELECT row_to_json(c) AS row, s.serial, m.summary FROM chat_data c
         LEFT JOIN LATERAL (SELECT serial FROM rowcast_connector_serials
                             WHERE channel = 'incoming-chat' AND table_name = 'chat_data' AND row_key = c.msg_id AND NOT deleted
                             LIMIT 1) s ON true
         LEFT JOIN rowcast_chat_messages m ON m.channel = 'incoming-chat' AND m.serial = s.serial
         WHERE $1::bigint IS NULL OR c.incremental_record_id < $1::bigint
         ORDER BY c.incremental_record_id DESC LIMIT $2`
      : `SELECT row_to_json(c) AS row, NULL AS serial, NULL AS summary FROM chat_data c
         WHERE $1::bigint IS NULL OR c.incremental_record_id < $1::bigint
         ORDER BY c.incremental_record_id DESC LIMIT $2`,
    [before ?? null, limit],
  );
  return res.rows.map((r) =>
    r.serial ? { ...r.row, serial: r.serial, reactions: reactionsOf(r.summary?.summary as Record<string, unknown>) } : r.row,
  );
}

/** Databases whose change stream tables exist (they are created when it first starts; once there, they stay). */
const withMessageTables = new WeakSet<pg.Pool>();
async function hasMessageTables(db: pg.Pool): Promise<boolean> {
  if (withMessageTables.has(db)) return true;
  const res = await db.query<{ ok: boolean }>(
    `SELECT to_regclass('rowcast_connector_serials') IS NOT NULL AND to_regclass('rowcast_chat_messages') IS NOT NULL AS ok`,
  );
  if (res.rows[0].ok) withMessageTables.add(db);
  return res.rows[0].ok;
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
