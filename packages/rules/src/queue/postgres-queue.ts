import pg from 'pg';
import type { Logger } from 'pino';
import type { DeadLetter, DeadLetterFilter, DeliveryQueue, Lane, NewDelivery, QueuedDelivery } from './delivery-queue.js';
import { GroupCommit } from './group-commit.js';
import { QUEUE_NOTIFY_CHANNEL } from './delivery-leadership.js';

/** The queue's table (a transactional function target removes its items itself: function-worker.mjs). */
export const QUEUE_TABLE = 'rowcast_rule_queue';
const QUEUE = QUEUE_TABLE;
const DEAD = 'rowcast_rule_dead_letters';
/** NOTIFY payloads must stay under 8000 bytes. */
const MAX_NOTICE_BYTES = 7_900;

/** Any constant: serialises the CREATE TABLE IF NOT EXISTS of several nodes starting at once. */
const SCHEMA_LOCK = 0x726f7763; // "rowc"

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ${QUEUE} (
  seq          bigserial PRIMARY KEY,
  rule_id      text        NOT NULL,
  channel      text        NOT NULL,
  source       text        NOT NULL,
  delivery_id  text        NOT NULL,
  item         json        NOT NULL,
  attempts     integer     NOT NULL DEFAULT 0,
  not_before   timestamptz,
  last_error   text,
  enqueued_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ${QUEUE}_lane ON ${QUEUE} (rule_id, channel, seq);
CREATE TABLE IF NOT EXISTS ${DEAD} (
  seq          bigint      PRIMARY KEY,
  rule_id      text        NOT NULL,
  channel      text        NOT NULL,
  source       text        NOT NULL,
  delivery_id  text        NOT NULL,
  item         json        NOT NULL,
  attempts     integer     NOT NULL,
  last_error   text,
  enqueued_at  timestamptz NOT NULL,
  failed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ${DEAD}_failed_at ON ${DEAD} (failed_at DESC);
`;

interface QueueRow {
  seq: string;
  rule_id: string;
  channel: string;
  source: string;
  delivery_id: string;
  item: unknown;
  attempts: number;
  not_before: Date | null;
  last_error: string | null;
}

/**
 * The durable queue: rows in `rowcast_rule_queue`, given up ones in `rowcast_rule_dead_letters` (both created if
 * missing). Enqueues of one event-loop turn share one multi-row INSERT, so the publish path pays one round trip
 * per batch, not per message; completions are grouped the same way.
 */
export class PostgresDeliveryQueue implements DeliveryQueue {
  private readonly inserts: GroupCommit<NewDelivery, number>;
  private readonly deletes: GroupCommit<number>;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly completionPool: pg.Pool,
    private readonly nodeId: string,
    private readonly notifies: () => boolean,
  ) {
    this.inserts = new GroupCommit((items) => this.insert(items));
    this.deletes = new GroupCommit((seqs) => this.delete(seqs));
  }

  /**
   * Connects, creates the tables if missing, and returns the queue. `nodeId` tags its enqueue notifications;
   * `notifies` says whether an enqueue must wake the delivering node with a NOTIFY (not when this node delivers:
   * it wakes its own lanes, and a NOTIFY makes every commit take PostgreSQL's notify-queue lock in turn).
   */
  static async open(databaseUrl: string, logger: Logger, nodeId = 'node', notifies: () => boolean = () => true): Promise<PostgresDeliveryQueue> {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    // Completions do not wait for their WAL flush: only a PostgreSQL crash can lose one, and that only means the
    // item is delivered again, which at-least-once delivery allows; the flush stays off the delivery path.
    // Several connections: lanes of different channels read their next page on it (completeAndPage) side by side.
    const completionPool = new pg.Pool({ connectionString: databaseUrl, max: 4, options: '-c synchronous_commit=off' });
    // A dropped idle connection must not crash the server; the next query gets a fresh one.
    for (const p of [pool, completionPool]) {
      p.on('error', (err) => logger.warn({ err: err.message }, 'rules queue: idle database connection failed'));
    }
    try {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
        await client.query(SCHEMA);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end();
      await completionPool.end();
      throw err;
    }
    return new PostgresDeliveryQueue(pool, completionPool, nodeId, notifies);
  }

  enqueue(items: NewDelivery[]): Promise<number[]> {
    return items.length === 0 ? Promise.resolve([]) : this.inserts.add(items);
  }

  /** Inserts items and returns their seqs in the items' order. */
  private async insert(items: NewDelivery[]): Promise<number[]> {
    const columns = [
      items.map((i) => i.ruleId),
      items.map((i) => i.channel),
      items.map((i) => i.source),
      items.map((i) => i.deliveryId),
      items.map((i) => JSON.stringify(i.item)),
    ];
    // unnest keeps array order, so seq (assigned row by row) follows the order items were accepted in: the seqs
    // in ascending order are the items' seqs in their order
    const insert = `INSERT INTO ${QUEUE} (rule_id, channel, source, delivery_id, item)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::json[])`;
    if (!this.notifies()) {
      const { rows } = await this.pool.query<{ seq: string }>(`${insert} RETURNING seq`, columns);
      return rows.map((row) => Number(row.seq)).sort((a, b) => a - b);
    }
    // The same statement NOTIFYs the delivering node (sent at commit) with the lanes it touched, or '*' when too
    // many to list.
    const { rows } = await this.pool.query<{ seqs: string[] }>(
      `WITH inserted AS (${insert} RETURNING seq, rule_id, channel), notice AS (
         SELECT json_build_object('node', $6::text,
                  'lanes', json_agg(DISTINCT jsonb_build_object('ruleId', rule_id, 'channel', channel)))::text AS body
         FROM inserted
       )
       SELECT (SELECT array_agg(seq ORDER BY seq) FROM inserted) AS seqs,
              pg_notify('${QUEUE_NOTIFY_CHANNEL}', CASE WHEN octet_length(body) < ${MAX_NOTICE_BYTES} THEN body
                ELSE json_build_object('node', $6::text, 'lanes', '*')::text END) FROM notice`,
      [...columns, this.nodeId],
    );
    return rows[0].seqs.map(Number);
  }

  async page(lane: Lane, afterSeq: number, limit: number): Promise<QueuedDelivery[]> {
    const { rows } = await this.pool.query<QueueRow>(
      `SELECT seq, rule_id, channel, source, delivery_id, item, attempts, not_before, last_error FROM ${QUEUE}
       WHERE rule_id = $1 AND channel = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
      [lane.ruleId, lane.channel, afterSeq, limit],
    );
    return rows.map(toQueued);
  }

  async completeAndPage(delivered: number[], lane: Lane, afterSeq: number, limit: number): Promise<QueuedDelivery[]> {
    if (delivered.length === 0) return this.page(lane, afterSeq, limit);
    // The DELETE runs even though nothing reads its result (PostgreSQL executes every data-modifying CTE); the
    // SELECT sees the snapshot from before it, hence the delivered seqs are left out explicitly. On the completion
    // pool: the statement commits without waiting for its WAL flush, like `complete`.
    const { rows } = await this.completionPool.query<QueueRow>(
      `WITH done AS (DELETE FROM ${QUEUE} WHERE seq = ANY($1::bigint[]))
       SELECT seq, rule_id, channel, source, delivery_id, item, attempts, not_before, last_error FROM ${QUEUE}
       WHERE rule_id = $2 AND channel = $3 AND seq > $4 AND seq <> ALL($1::bigint[]) ORDER BY seq LIMIT $5`,
      [delivered, lane.ruleId, lane.channel, afterSeq, limit],
    );
    return rows.map(toQueued);
  }

  async complete(seq: number): Promise<void> {
    await this.deletes.add([seq]);
  }

  private async delete(seqs: number[]): Promise<void> {
    await this.completionPool.query(`DELETE FROM ${QUEUE} WHERE seq = ANY($1::bigint[])`, [seqs]);
  }

  async recordFailure(seq: number, attempts: number, error: string, notBefore: number): Promise<void> {
    await this.pool.query(`UPDATE ${QUEUE} SET attempts = $2, last_error = $3, not_before = $4 WHERE seq = $1`, [
      seq,
      attempts,
      error,
      new Date(notBefore),
    ]);
  }

  async deadLetter(seq: number, attempts: number, error: string): Promise<void> {
    await this.pool.query(
      `WITH moved AS (DELETE FROM ${QUEUE} WHERE seq = $1 RETURNING *)
       INSERT INTO ${DEAD} (seq, rule_id, channel, source, delivery_id, item, attempts, last_error, enqueued_at)
       SELECT seq, rule_id, channel, source, delivery_id, item, $2, $3, enqueued_at FROM moved
       ON CONFLICT (seq) DO NOTHING`,
      [seq, attempts, error],
    );
  }

  async lanes(): Promise<Lane[]> {
    const { rows } = await this.pool.query<{ rule_id: string; channel: string }>(`SELECT DISTINCT rule_id, channel FROM ${QUEUE}`);
    return rows.map((r) => ({ ruleId: r.rule_id, channel: r.channel }));
  }

  async size(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${QUEUE}`);
    return Number(rows[0].n);
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    const { rows } = await this.pool.query<QueueRow & { failed_at: Date }>(
      `SELECT seq, rule_id, channel, source, delivery_id, item, attempts, NULL::timestamptz AS not_before, last_error,
              failed_at FROM ${DEAD} ORDER BY failed_at DESC, seq DESC LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({ ...toQueued(row), failedAt: row.failed_at.getTime() }));
  }

  async requeueDeadLetters(filter: DeadLetterFilter = {}): Promise<number> {
    // One statement: moved atomically, in their original order, and the delivering node is told to rescan.
    const { rows } = await this.pool.query<{ n: number }>(
      `WITH moved AS (
         DELETE FROM ${DEAD} WHERE ($1::text IS NULL OR rule_id = $1) AND ($2::text[] IS NULL OR delivery_id = ANY($2))
         RETURNING *
       ), requeued AS (
         INSERT INTO ${QUEUE} (rule_id, channel, source, delivery_id, item, enqueued_at)
         SELECT rule_id, channel, source, delivery_id, item, enqueued_at FROM moved ORDER BY seq
         RETURNING 1
       )
       SELECT (SELECT count(*)::int FROM requeued) AS n,
              pg_notify('${QUEUE_NOTIFY_CHANNEL}', json_build_object('node', $3::text, 'lanes', '*')::text)`,
      [filter.ruleId ?? null, filter.deliveryIds ?? null, this.nodeId],
    );
    return rows[0].n;
  }

  async close(): Promise<void> {
    await this.inserts.drain();
    await this.deletes.drain();
    await this.pool.end();
    await this.completionPool.end();
  }
}

function toQueued(row: QueueRow): QueuedDelivery {
  const queued: QueuedDelivery = {
    seq: Number(row.seq),
    ruleId: row.rule_id,
    channel: row.channel,
    source: row.source as QueuedDelivery['source'],
    deliveryId: row.delivery_id,
    item: row.item as QueuedDelivery['item'],
    attempts: row.attempts,
    notBefore: row.not_before ? row.not_before.getTime() : 0,
  };
  if (row.last_error !== null) queued.lastError = row.last_error;
  return queued;
}
