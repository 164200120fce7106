import pg from 'pg';
import { backoffDelay } from '@rowcast/core';
import type { Logger } from 'pino';
import { TransactionAssembler } from './assembler.js';
import type { ConnectorConfig } from './config.js';
import { DeliveryPipeline } from './delivery.js';
import { formatLsn } from './lsn.js';
import type { Publisher } from './publisher.js';
import { MutableMessages } from './mutable-messages.js';
import { ReplicationSession } from './replication-session.js';
import { SerialMap } from './serial-map.js';
import { RowJsonTypes } from './row-json.js';
import { ConnectorSetupError, prepareDatabase, type CapturedTable } from './setup.js';

/** What the connector reports about itself (log lines now; metrics can read the same). */
export interface ConnectorState {
  /** Last position confirmed to PostgreSQL, `X/Y`. */
  confirmedLsn: string;
  /** WAL bytes the slot still holds back (pg_current_wal_lsn - confirmed_flush_lsn), when last measured. */
  slotLagBytes: number | null;
  publishedRows: number;
  oversizedRows: number;
  publishFailures: number;
  streaming: boolean;
  /** Rows received and not yet accepted by the realtime server. */
  queuedRows: number;
  /** Reading from PostgreSQL is paused until the queue drains. */
  paused: boolean;
}

const STATUS_INTERVAL_MS = 5_000;
/**
 * While transactions complete, the confirmed position is sent at most this often (a keepalive asking for a reply
 * is answered at once). Each status message is a socket write here and work for the walsender there: sent once per
 * event-loop turn and per keepalive, they took ~20% of the process's busy time under thousands of one-row
 * transactions a second (write-path profile). The slot trails by up to this
 * much, which only makes a restart re-send (idempotently) a little more.
 */
const STATUS_DELAY_MS = 100;
/** Reconnects after an interruption: from 100 ms, doubling to 5 s, jittered (several nodes restart together). */
const RECONNECT_BACKOFF = { baseMs: 100, maxMs: 5_000 };
/** How often a standby node retries a slot another consumer holds (failover takes at most about this long). */
const STANDBY_POLL_MS = 500;

/** PostgreSQL's "replication slot ... is active for PID n" (SQLSTATE 55006, object_in_use). */
function isSlotHeldElsewhere(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  return e?.code === '55006' || /replication slot .* is active/i.test(String(e?.message ?? err));
}

/**
 * The PostgreSQL change stream: every committed row change of the configured tables onto its channels, in commit
 * order, a position confirmed only after the changes before it were accepted. Reconnects with backoff after a
 * database restart and resumes from the slot; after a crash, re-sent changes carry the same message ids.
 */
export class PostgresConnector {
  private readonly pool: pg.Pool;
  private readonly types: RowJsonTypes;
  private readonly pipeline: DeliveryPipeline;
  private tables = new Map<number, CapturedTable>();
  private session: ReplicationSession | undefined;
  private assembler: TransactionAssembler | undefined;
  private confirmed = 0n;
  private sentConfirmed = 0n;
  private lagBytes: number | null = null;
  private streaming = false;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private wake: (() => void) | undefined;
  private lastStats = { at: Date.now(), rows: 0 };
  private statusScheduled = false;

  constructor(
    private readonly config: ConnectorConfig,
    private readonly publisher: Publisher,
    private readonly logger: Logger,
  ) {
    this.pool = new pg.Pool({ ...config.db, max: 2 } as pg.PoolConfig);
    this.pool.on('error', () => {}); // idle clients die with the server; the next query reconnects
    this.types = new RowJsonTypes((sql, params) => this.pool.query(sql, params));
    this.pipeline = new DeliveryPipeline(
      publisher,
      this.types,
      config.messageName,
      logger,
      {
        onConfirmed: (lsn) => this.advanceTo(lsn),
        onPressure: (high) => (high ? this.session?.pause() : this.session?.resume()),
      },
      this.mutableMessages(),
    );
  }

  /** The keyed publishing of `mutableMessages` tables, when the config has any. */
  private mutableMessages(): MutableMessages | undefined {
    if (this.config.mutableMessages.length === 0) return undefined;
    if (!this.publisher.mutable) {
      throw new ConnectorSetupError('mutableMessages needs a destination that can update messages; this publisher cannot');
    }
    const serials = new SerialMap((sql, params) => this.pool.query(sql, params), this.config.slotName);
    return new MutableMessages(this.publisher.mutable, serials, this.logger);
  }

  /**
   * Prepares the database (tables, replica identity, publication, slot) and starts streaming in the background.
   * Rejects on a configuration error (unknown table, foreign slot); if the database is merely unreachable, it
   * keeps retrying in the background instead.
   */
  async start(): Promise<void> {
    try {
      await this.prepare();
    } catch (err) {
      if (err instanceof ConnectorSetupError) {
        await this.pool.end().catch(() => {});
        throw err;
      }
      this.logger.warn({ err: String(err) }, 'connector cannot prepare the database yet; retrying');
    }
    this.timers.push(setInterval(() => this.sendStatus(true), STATUS_INTERVAL_MS));
    this.timers.push(setInterval(() => void this.logState(), this.config.statsIntervalMs));
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.wake?.();
    this.sendStatus(false); // what was accepted is confirmed before the stream closes, so a restart re-sends less
    await this.session?.stop();
    await this.loop;
    await this.pipeline.reset();
    await this.publisher.close();
    await this.pool.end().catch(() => {});
  }

  state(): ConnectorState {
    return {
      confirmedLsn: formatLsn(this.confirmed),
      slotLagBytes: this.lagBytes,
      ...this.pipeline.stats,
      streaming: this.streaming,
      queuedRows: this.pipeline.queued,
      paused: this.pipeline.paused,
    };
  }

  private async prepare(): Promise<void> {
    const client = await this.pool.connect();
    try {
      this.tables = await prepareDatabase(client, this.config, this.logger);
    } finally {
      client.release();
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    let prepared = this.tables.size > 0;
    let standby = false;
    while (!this.stopped) {
      let retryInMs = RECONNECT_BACKOFF.baseMs;
      try {
        if (!prepared) {
          await this.prepare();
          prepared = true;
        }
        await this.runSession(() => {
          failures = 0;
          if (standby) this.logger.info('replication slot acquired: this node now streams the changes');
          standby = false;
        });
      } catch (err) {
        if (this.stopped) break;
        if (isSlotHeldElsewhere(err)) {
          // Another node (or process) streams from the slot: stand by and poll often, so a takeover after that
          // consumer dies is quick. Not an error, and logged once, not on every poll.
          if (!standby) this.logger.info({ slot: this.config.slotName }, 'replication slot in use by another consumer; standing by');
          standby = true;
          retryInMs = STANDBY_POLL_MS;
        } else {
          retryInMs = backoffDelay(++failures, RECONNECT_BACKOFF);
          this.logger.warn({ err: String(err), retryInMs }, 'replication stream interrupted; reconnecting');
        }
      } finally {
        this.streaming = false;
        this.session = undefined;
        this.assembler?.reset();
        await this.pipeline.reset();
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, retryInMs);
      });
    }
  }

  private async runSession(onStart: () => void): Promise<void> {
    const assembler = new TransactionAssembler(this.tables, this.logger, (tx) => this.pipeline.push(tx));
    this.assembler = assembler;
    const session = new ReplicationSession(this.config.db, this.config.slotName, this.config.publicationName, {
      onMessage: (msg) => assembler.handle(msg),
      onKeepalive: (walEnd, reply) => {
        // Nothing of ours is pending before walEnd: let the slot advance even when the captured tables are idle.
        if (!assembler.inTransaction && this.pipeline.idle && walEnd > this.confirmed) this.confirmed = walEnd;
        // a caught-up walsender sends a keepalive after nearly every transaction: only a requested reply goes now
        if (reply) this.sendStatus(true);
        else this.scheduleStatus();
      },
      onStart: () => {
        this.streaming = true;
        onStart();
        this.logger.info({ slot: this.config.slotName, from: formatLsn(this.confirmed) }, 'replication streaming');
      },
    });
    this.session = session;
    this.sentConfirmed = 0n;
    if (this.stopped) return; // stopped while preparing: stop() found no session to end
    await session.run(this.confirmed);
  }

  private advanceTo(lsn: bigint): void {
    if (lsn > this.confirmed) this.confirmed = lsn;
    this.scheduleStatus();
  }

  /** One status message for every position confirmed within STATUS_DELAY_MS. */
  private scheduleStatus(): void {
    if (this.statusScheduled) return;
    this.statusScheduled = true;
    setTimeout(() => {
      this.statusScheduled = false;
      this.sendStatus(false);
    }, STATUS_DELAY_MS).unref();
  }

  /** Sends the confirmed position when it moved (or always, for keepalive replies and the periodic status). */
  private sendStatus(always: boolean): void {
    if (!this.session || !this.streaming) return;
    if (!always && this.confirmed === this.sentConfirmed) return;
    this.sentConfirmed = this.confirmed;
    this.session.confirm(this.confirmed);
  }

  private async logState(): Promise<void> {
    try {
      const res = await this.pool.query(
        `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::float8 AS lag
           FROM pg_replication_slots WHERE slot_name = $1`,
        [this.config.slotName],
      );
      this.lagBytes = res.rows[0] ? Number(res.rows[0].lag) : null;
    } catch {
      this.lagBytes = null;
    }
    const now = Date.now();
    const rows = this.pipeline.stats.publishedRows;
    const rowsPerSecond = Math.round(((rows - this.lastStats.rows) * 1000) / Math.max(1, now - this.lastStats.at));
    this.lastStats = { at: now, rows };
    this.logger.info({ ...this.state(), rowsPerSecond, slot: this.config.slotName }, 'connector state');
  }
}
