import pg from 'pg';
import type { AcceptedAnnotation, AcceptedMessage, AnnotationPageRequest, HistoryPageRequest, MessageStore, VersionPageRequest } from '@rowcast/core';
import type { MessageAnnotations } from '@rowcast/protocol';
import { ANNOTATIONS, ensureChatSchema, MESSAGES, VERSIONS } from './schema.js';
import { actionName, chatFields, fromStored, roomOf, storedJson, type ChatFields } from './stored-message.js';

/**
 * MessageStore for chat rooms in PostgreSQL (schema.ts): every message, version and annotation is a row, kept for
 * good, so history survives restarts and answers from here. Created before the database is known (the engine
 * starts first); calls wait until `connect` has run.
 */
export class PostgresMessageStore implements MessageStore {
  private pool: pg.Pool | undefined;
  private readonly ready: Promise<pg.Pool>;
  private resolveReady!: (pool: pg.Pool) => void;
  private rejectReady!: (err: Error) => void;

  constructor() {
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined); // a store closed unconnected: callers see the rejection, not the process
  }

  /** Connects to `url`, creates the schema if missing, and lets waiting calls through. */
  async connect(url: string): Promise<void> {
    // `rowcast.chat_store = on` in every session: the trigger tells Rowcast's writes from SQL edits by it.
    const pool = new pg.Pool({ connectionString: url, max: 4, options: '-c rowcast.chat_store=on' });
    pool.on('error', () => undefined); // an idle client losing its server must not crash the process
    try {
      const client = await pool.connect();
      try {
        await ensureChatSchema(client);
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    this.pool = pool;
    this.resolveReady(pool);
  }

  async record(channel: string, messages: AcceptedMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const pool = await this.ready;
    // The latest row takes the newest version per serial (one upsert may not touch a row twice); every version is kept.
    const newest = new Map<string, AcceptedMessage>();
    for (const m of messages) {
      const seen = newest.get(m.serial);
      if (!seen || versionOf(m) > versionOf(seen)) newest.set(m.serial, m);
    }
    await pool.query(
      `WITH input AS (
         SELECT * FROM json_to_recordset($2::json) AS x(serial text, version_serial text, action text, name text,
           client_id text, text text, metadata jsonb, headers jsonb, created_at bigint, updated_at bigint,
           version_client_id text, version_description text, version_metadata jsonb, message json, latest boolean)
       ), versions AS (
         INSERT INTO ${VERSIONS} (channel, serial, version_serial, action, client_id, text, created_at, message)
         SELECT $1, serial, version_serial, action, COALESCE(version_client_id, client_id), text, to_timestamp(updated_at / 1000.0), message
           FROM input ON CONFLICT DO NOTHING
       )
       INSERT INTO ${MESSAGES} AS m (channel, room, serial, action, name, client_id, text, metadata, headers, created_at,
         version_serial, updated_at, version_client_id, version_description, version_metadata, message)
       SELECT $1, $3, serial, action, name, client_id, text, metadata, headers, to_timestamp(created_at / 1000.0),
         version_serial, to_timestamp(updated_at / 1000.0), version_client_id, version_description, version_metadata, message
         FROM input WHERE latest
       ON CONFLICT (channel, serial) DO UPDATE SET action = excluded.action, name = excluded.name, text = excluded.text,
         metadata = excluded.metadata, headers = excluded.headers, version_serial = excluded.version_serial,
         updated_at = excluded.updated_at, version_client_id = excluded.version_client_id,
         version_description = excluded.version_description, version_metadata = excluded.version_metadata,
         message = excluded.message, sql_change = NULL
       WHERE excluded.version_serial > m.version_serial`,
      [channel, JSON.stringify(messages.map((m) => rowOf(m, newest.get(m.serial) === m))), roomOf(channel)],
    );
  }

  async latest(channel: string, serials: string[]): Promise<Array<AcceptedMessage | undefined>> {
    if (serials.length === 0) return [];
    const pool = await this.ready;
    const { rows } = await pool.query<LatestRow>(`SELECT serial, message, summary FROM ${MESSAGES} WHERE channel = $1 AND serial = ANY($2::text[])`, [
      channel,
      serials,
    ]);
    const bySerial = new Map(rows.map((r) => [r.serial, messageOf(r)]));
    return serials.map((s) => bySerial.get(s));
  }

  async versions(channel: string, serial: string, request: VersionPageRequest): Promise<AcceptedMessage[]> {
    const pool = await this.ready;
    const forwards = request.direction === 'forwards';
    const { rows } = await pool.query<{ message: AcceptedMessage }>(
      `SELECT message FROM ${VERSIONS} WHERE channel = $1 AND serial = $2
          AND ($3::text IS NULL OR version_serial ${forwards ? '>' : '<'} $3::text COLLATE "C")
        ORDER BY version_serial ${forwards ? 'ASC' : 'DESC'} LIMIT $4`,
      [channel, serial, request.after ?? null, request.limit],
    );
    return rows.map((r) => fromStored(r.message));
  }

  async addAnnotation(channel: string, annotation: AcceptedAnnotation): Promise<AcceptedAnnotation[]> {
    const pool = await this.ready;
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      // One writer per message at a time: the list answered is exactly the one this write makes.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [channel, annotation.messageSerial]);
      await client.query(
        `INSERT INTO ${ANNOTATIONS} (channel, message_serial, serial, action, type, name, client_id, count, created_at, annotation)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, to_timestamp($9 / 1000.0), $10::json) ON CONFLICT DO NOTHING`,
        [
          channel,
          annotation.messageSerial,
          annotation.serial,
          annotation.action === 1 ? 'annotation.delete' : 'annotation.create',
          annotation.type,
          annotation.name ?? null,
          annotation.clientId ?? null,
          annotation.count ?? null,
          annotation.timestamp,
          storedJson(annotation),
        ],
      );
      const { rows } = await client.query<{ annotation: AcceptedAnnotation }>(
        `SELECT annotation FROM ${ANNOTATIONS} WHERE channel = $1 AND message_serial = $2 ORDER BY serial`,
        [channel, annotation.messageSerial],
      );
      await client.query('COMMIT');
      return rows.map((r) => fromStored(r.annotation));
    } catch (err) {
      broken = await client.query('ROLLBACK').then(
        () => false,
        () => true,
      );
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async annotations(channel: string, messageSerial: string, request: AnnotationPageRequest): Promise<AcceptedAnnotation[]> {
    const pool = await this.ready;
    const { rows } = await pool.query<{ annotation: AcceptedAnnotation }>(
      `SELECT annotation FROM ${ANNOTATIONS} WHERE channel = $1 AND message_serial = $2
          AND ($3::text IS NULL OR serial > $3::text COLLATE "C") ORDER BY serial LIMIT $4`,
      [channel, messageSerial, request.after ?? null, request.limit],
    );
    return rows.map((r) => fromStored(r.annotation));
  }

  async setSummary(channel: string, serial: string, summary: MessageAnnotations, asOf: string): Promise<void> {
    const pool = await this.ready;
    await pool.query(
      `UPDATE ${MESSAGES} SET summary = $3::json, summary_as_of = $4
        WHERE channel = $1 AND serial = $2 AND (summary_as_of IS NULL OR summary_as_of < $4::text COLLATE "C")`,
      [channel, serial, JSON.stringify(summary), asOf],
    );
  }

  /**
   * The channel's messages in serial order, each as created: the engine pages them as it pages its event log
   * (creates only) and then shows each as it now is (`latest`). A bound that is an event serial (no `:index`)
   * compares with the event part of message serials, so "after event E" excludes E's own messages.
   */
  async history(channel: string, request: HistoryPageRequest): Promise<AcceptedMessage[]> {
    const pool = await this.ready;
    const forwards = request.direction === 'forwards';
    const { rows } = await pool.query<{ message: AcceptedMessage }>(
      `SELECT COALESCE(v.message, m.message) AS message FROM ${MESSAGES} m
         LEFT JOIN ${VERSIONS} v ON v.channel = m.channel AND v.serial = m.serial AND v.version_serial = m.serial
        WHERE m.channel = $1
          AND ($2::text IS NULL OR (CASE WHEN strpos($2, ':') > 0 THEN m.serial ELSE split_part(m.serial, ':', 1) END) ${forwards ? '>' : '<'} $2::text COLLATE "C")
          AND ($3::text IS NULL OR (CASE WHEN strpos($3, ':') > 0 THEN m.serial ELSE split_part(m.serial, ':', 1) END) <= $3::text COLLATE "C")
          AND ($4::bigint IS NULL OR m.created_at >= to_timestamp($4 / 1000.0))
          AND ($5::bigint IS NULL OR m.created_at <= to_timestamp($5 / 1000.0))
        ORDER BY m.serial ${forwards ? 'ASC' : 'DESC'} LIMIT $6`,
      [channel, request.after ?? null, request.notAfter ?? null, request.since ?? null, request.until ?? null, request.limit],
    );
    return rows.map((r) => fromStored(r.message));
  }

  /**
   * Every row SQL changed that Rowcast has not yet published: read when the stream that would have carried those
   * changes is gone (a slot dropped), so none of them is lost. A full scan, done once at such a start.
   */
  async sqlChangedMessages(): Promise<Array<{ channel: string; serial: string }>> {
    const pool = await this.ready;
    const { rows } = await pool.query<{ channel: string; serial: string }>(
      `SELECT channel, serial FROM ${MESSAGES} WHERE sql_change IS NOT NULL ORDER BY channel, serial`,
    );
    return rows;
  }

  /**
   * A row SQL changed and Rowcast has not yet published (`sql_change` set), with its chat columns as SQL left them.
   *
   * Called when the change stream delivers the change, which can be before a new snapshot sees it: the walsender
   * sends a transaction once its commit record is flushed, and the committing backend leaves the list of running
   * transactions only after that. A plain read could then find the row as it was before, unmarked, and the change
   * would never be published (seen under load in CI). `FOR SHARE` closes that window: a row whose update is still
   * running (for the snapshot) is waited for, and then read as that update left it. So the mark is tested on the
   * row read, not in the WHERE, which would drop the row before its lock is taken.
   */
  async pendingSqlChange(channel: string, serial: string): Promise<PendingSqlChange | undefined> {
    const pool = await this.ready;
    const { rows } = await pool.query<{
      change: 'update' | 'delete' | null;
      message: AcceptedMessage;
      text: string | null;
      metadata: unknown;
      headers: unknown;
    }>(
      `SELECT sql_change AS change, message, text, metadata, headers FROM ${MESSAGES}
        WHERE channel = $1 AND serial = $2 FOR SHARE`,
      [channel, serial],
    );
    const row = rows[0];
    if (!row?.change) return undefined;
    return { change: row.change, message: fromStored(row.message), fields: { text: row.text, metadata: row.metadata, headers: row.headers } };
  }

  async close(): Promise<void> {
    this.rejectReady(new Error('the chat message store is closed'));
    await this.pool?.end();
    this.pool = undefined;
  }
}

export interface PendingSqlChange {
  change: 'update' | 'delete';
  /** The message as Rowcast last wrote it. */
  message: AcceptedMessage;
  fields: ChatFields;
}

interface LatestRow {
  serial: string;
  message: AcceptedMessage;
  summary: MessageAnnotations | null;
}

function messageOf(row: LatestRow): AcceptedMessage {
  const message = fromStored(row.message);
  return row.summary ? { ...message, annotations: row.summary } : message;
}

function versionOf(m: AcceptedMessage): string {
  return m.version?.serial ?? m.serial;
}

/** One input row of `record`: the columns, and whether it is the newest version of its serial in this call. */
function rowOf(m: AcceptedMessage, latest: boolean) {
  const fields = chatFields(m);
  return {
    serial: m.serial,
    version_serial: versionOf(m),
    action: actionName(m.action),
    name: m.name ?? null,
    client_id: m.clientId ?? null,
    text: fields.text,
    metadata: fields.metadata,
    headers: fields.headers,
    created_at: m.timestamp,
    updated_at: m.version?.timestamp ?? m.timestamp,
    version_client_id: m.version?.clientId ?? null,
    version_description: m.version?.description ?? null,
    version_metadata: m.version?.metadata ?? null,
    message: JSON.parse(storedJson(m)),
    latest,
  };
}
