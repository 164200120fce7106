import type pg from 'pg';
import { createUnderLock } from './schema-lock.js';

/**
 * Which message serial each row of a mutable-message table has, per channel: rows of `rowcast_connector_serials`
 * in the captured database itself, so a connector that restarts, or another node that takes the slot over, updates
 * the same messages. Each entry also keeps the position of the last change applied to it: a change the stream
 * delivers again after a restart (it was published but not yet confirmed) is recognised and not applied twice.
 * An entry is written before the change's transaction is confirmed to PostgreSQL, so no confirmed change lacks it.
 */

export const SERIALS_TABLE = 'rowcast_connector_serials';

/** Any constant: serialises the CREATE TABLE IF NOT EXISTS of several nodes starting at once. */
const SCHEMA_LOCK = 0x726f7773; // "rows"

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ${SERIALS_TABLE} (
  slot_name   text    NOT NULL,
  channel     text    NOT NULL,
  table_name  text    NOT NULL,
  row_key     text    NOT NULL,
  serial      text    NOT NULL,
  position    text    NOT NULL,
  deleted     boolean NOT NULL DEFAULT false,
  PRIMARY KEY (slot_name, channel, table_name, row_key)
);
COMMENT ON TABLE ${SERIALS_TABLE} IS
  'Rowcast change stream: the message serial of each row of a mutable-message table, per channel (written by the connector)';
COMMENT ON COLUMN ${SERIALS_TABLE}.position IS
  'Last change applied: commit LSN (16 hex digits) "." index in its transaction (8 hex digits); ordered as text';
`;

export interface SerialEntry {
  serial: string;
  position: string;
  deleted: boolean;
}

/** Where a row's message lives. */
export interface RowMessageRef {
  channel: string;
  table: string;
  key: string;
}

/** Most entries a connector keeps in memory; the table has them all. */
const CACHE_LIMIT = 50_000;

export class SerialMap {
  /** Entries this process read or wrote: only the slot's one consumer writes them, so the cache stays true. */
  private readonly cache = new Map<string, SerialEntry | null>();

  constructor(
    private readonly query: (sql: string, params?: unknown[]) => Promise<pg.QueryResult>,
    private readonly slotName: string,
  ) {}

  /** Creates the table if missing (under an advisory lock: concurrent starts of several nodes). */
  static async ensureTable(client: pg.ClientBase): Promise<void> {
    await createUnderLock(client, SCHEMA_LOCK, SCHEMA);
  }

  async get(ref: RowMessageRef): Promise<SerialEntry | undefined> {
    const id = cacheKey(ref);
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached ?? undefined;
    const res = await this.query(
      `SELECT serial, position, deleted FROM ${SERIALS_TABLE}
        WHERE slot_name = $1 AND channel = $2 AND table_name = $3 AND row_key = $4`,
      [this.slotName, ref.channel, ref.table, ref.key],
    );
    const entry = (res.rows[0] as SerialEntry | undefined) ?? null;
    this.remember(id, entry);
    return entry ?? undefined;
  }

  async put(ref: RowMessageRef, entry: SerialEntry): Promise<void> {
    await this.query(
      `INSERT INTO ${SERIALS_TABLE} (slot_name, channel, table_name, row_key, serial, position, deleted)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (slot_name, channel, table_name, row_key)
       DO UPDATE SET serial = excluded.serial, position = excluded.position, deleted = excluded.deleted`,
      [this.slotName, ref.channel, ref.table, ref.key, entry.serial, entry.position, entry.deleted],
    );
    this.remember(cacheKey(ref), entry);
  }

  private remember(id: string, entry: SerialEntry | null): void {
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(id, entry);
  }
}

function cacheKey(ref: RowMessageRef): string {
  return JSON.stringify([ref.channel, ref.table, ref.key]);
}

/** A change's position, ordered as text: the commit LSN and the change's index in its transaction. */
export function changePosition(commitLsn: bigint, index: number): string {
  return `${commitLsn.toString(16).padStart(16, '0')}.${index.toString(16).padStart(8, '0')}`;
}
