import type { Logger } from 'pino';
import { backoffDelay } from '@rowcast/core';
import { classifyPublishError, type Publisher } from './publisher.js';
import type { MutableMessages } from './mutable-messages.js';
import { planBatches, type LaneWork, type PublishBatch } from './outgoing.js';
import type { RowJsonTypes } from './row-json.js';
import type { Transaction } from './transaction.js';

/**
 * Publishes committed transactions and says how far the WAL may be confirmed. Guarantees:
 * - per channel, batches are published one at a time in commit order (different channels run concurrently);
 * - a transaction counts as done only when every batch of it was accepted, and the confirmed position only moves
 *   over a prefix of done transactions, so a crash never skips an unpublished change;
 * - a failed publish is retried with backoff until it succeeds or the pipeline is reset (nothing is confirmed
 *   meanwhile); a size refusal is retried message by message, and a single message still refused is counted as
 *   oversized and skipped.
 */

interface PendingTx {
  /** Undefined for a slice of a big transaction that is not its last. */
  endLsn: bigint | undefined;
  remaining: number;
  rows: number;
}

interface LaneItem {
  batch: LaneWork;
  tx: PendingTx;
}

export interface DeliveryEvents {
  /** Everything up to `lsn` was accepted by the realtime server. */
  onConfirmed(lsn: bigint): void;
  /** Too much is waiting (true) or it drained again (false): pause/resume reading the stream. */
  onPressure(high: boolean): void;
}

export interface DeliveryStats {
  publishedRows: number;
  oversizedRows: number;
  publishFailures: number;
}

/** Rows received but not yet accepted above which the stream is paused (memory stays bounded). */
export const HIGH_WATER_ROWS = 50_000;
const LOW_WATER_ROWS = 10_000;
/** A refused or failed publish is retried from 100 ms, doubling to 5 s, jittered. */
const PUBLISH_BACKOFF = { baseMs: 100, maxMs: 5_000 };

export class DeliveryPipeline {
  private readonly ingress: Transaction[] = [];
  private ingressRunning = false;
  private readonly order: PendingTx[] = [];
  private readonly lanes = new Map<string, LaneItem[]>();
  private readonly running = new Map<string, Promise<void>>();
  private queuedRows = 0;
  private pressured = false;
  private generation = 0;
  readonly stats: DeliveryStats = { publishedRows: 0, oversizedRows: 0, publishFailures: 0 };

  constructor(
    private readonly publisher: Publisher,
    private readonly types: RowJsonTypes,
    private readonly messageName: string,
    private readonly logger: Logger,
    private readonly events: DeliveryEvents,
    /** Applies the changes of mutable-message tables; absent when none is configured. */
    private readonly mutable?: MutableMessages,
  ) {}

  /** Rows received and not yet accepted. */
  get queued(): number {
    return this.queuedRows;
  }

  /** Whether the stream is paused because too much is waiting. */
  get paused(): boolean {
    return this.pressured;
  }

  /** True when nothing received is still waiting to be published. */
  get idle(): boolean {
    return this.ingress.length === 0 && this.order.length === 0;
  }

  /** Takes a committed transaction (called in commit order, synchronously from the stream). */
  push(tx: Transaction): void {
    this.ingress.push(tx);
    this.addQueued(tx.changes.length);
    if (!this.ingressRunning) void this.drainIngress(this.generation);
  }

  /**
   * Forgets everything not yet published (the stream will deliver it again from the confirmed position) and
   * waits for publishes in flight to settle.
   */
  async reset(): Promise<void> {
    this.generation++;
    this.ingressRunning = false;
    this.ingress.length = 0;
    this.order.length = 0;
    for (const lane of this.lanes.values()) lane.length = 0;
    await Promise.allSettled([...this.running.values()]);
    this.lanes.clear();
    this.queuedRows = 0;
    if (this.pressured) {
      this.pressured = false;
      this.events.onPressure(false);
    }
  }

  private async drainIngress(gen: number): Promise<void> {
    this.ingressRunning = true;
    try {
      while (this.ingress.length && gen === this.generation) {
        const tx = this.ingress[0];
        const missing = this.types.missing(tx.changes.map((c) => c.relation));
        if (missing.length) {
          await this.types.ensure(missing);
          if (gen !== this.generation) return;
        }
        this.ingress.shift();
        this.dispatch(tx);
      }
    } catch (err) {
      // A catalog query failed. If the database is gone the session ends and restarts from the confirmed
      // position (reset); otherwise try again shortly.
      this.logger.warn({ err: String(err) }, 'cannot load column types; retrying');
      setTimeout(() => {
        if (gen === this.generation && !this.ingressRunning && this.ingress.length) void this.drainIngress(gen);
      }, 1000).unref();
    } finally {
      if (gen === this.generation) this.ingressRunning = false; // else reset() already handed the flag on
    }
  }

  private dispatch(tx: Transaction): void {
    const plan = planBatches(tx, this.types, this.messageName, this.publisher);
    for (const o of plan.oversized) {
      this.stats.oversizedRows++;
      this.logger.warn(o, `row of ${o.table} is ${o.size} bytes, over the ${this.publisher.maxMessageSize}-byte message limit: not published`);
    }
    for (const k of plan.keyless) {
      this.logger.warn(k, `${k.operation} of a ${k.table} row whose ${k.keyColumn} is NULL: no message to name, not published`);
    }
    const pending: PendingTx = { endLsn: tx.endLsn, remaining: plan.batches.length, rows: tx.changes.length };
    this.order.push(pending);
    for (const batch of plan.batches) {
      let lane = this.lanes.get(batch.channel);
      if (!lane) this.lanes.set(batch.channel, (lane = []));
      lane.push({ batch, tx: pending });
      if (!this.running.has(batch.channel)) this.startLane(batch.channel, lane);
    }
    this.advance();
  }

  private startLane(channel: string, lane: LaneItem[]): void {
    const gen = this.generation;
    const run = (async () => {
      // Start after the stream's current read: the transactions of one socket read are pushed synchronously, so
      // after this one microtask they are all in the lane and go out as one series (one engine event), not the
      // first alone and the rest after it. Nothing waits longer for it: the read was being handled anyway.
      await undefined;
      while (lane.length && gen === this.generation) {
        const series = this.takeSeries(lane);
        const accepted = await this.publishWithRetry(
          series.map((i) => i.batch),
          gen,
        );
        if (!accepted || gen !== this.generation) return;
        for (let k = 0; k < accepted; k++) {
          const item = lane.shift()!;
          this.stats.publishedRows += item.batch.kind === 'keyed' ? 1 : item.batch.data.length;
          item.tx.remaining--;
          if (item.tx.remaining === 0) this.advance();
        }
      }
    })().finally(() => {
      if (this.running.get(channel) === run) this.running.delete(channel);
      // a batch may have been queued between the loop's last check and now
      if (gen === this.generation && lane.length && !this.running.has(channel)) this.startLane(channel, lane);
    });
    this.running.set(channel, run);
  }

  /** The head of a lane, plus as many following batches as one publishSeries call may carry. */
  private takeSeries(lane: LaneItem[]): LaneItem[] {
    const limits = this.publisher.publishSeries ? this.publisher.maxSeries : undefined;
    if (!limits || lane[0].batch.kind === 'keyed') return lane.slice(0, 1);
    let bytes = lane[0].batch.bytes;
    let n = 1;
    while (n < lane.length && n < limits.count && lane[n].batch.kind === 'batch' && bytes + lane[n].batch.bytes <= limits.bytes)
      bytes += lane[n++].batch.bytes;
    return lane.slice(0, n);
  }

  /**
   * Publishes batches of one channel, in order, until at least the first is accepted; resolves with how many
   * leading batches were, or 0 when the pipeline was reset meanwhile.
   */
  private async publishWithRetry(batches: LaneWork[], gen: number): Promise<number> {
    let failures = 0;
    for (;;) {
      const head = batches[0];
      try {
        if (head.kind === 'keyed') {
          await this.mutable!.apply(head);
          return 1;
        }
        if (batches.length > 1 && this.publisher.publishSeries) {
          return await this.publisher.publishSeries(head.channel, batches as PublishBatch[]);
        }
        await this.publisher.publish(head.channel, head);
        return 1;
      } catch (err) {
        if (gen !== this.generation) return 0;
        if (classifyPublishError(err) === 'too-large') {
          if (head.kind === 'batch') return (await this.publishOneByOne(head, gen)) ? 1 : 0;
          this.stats.oversizedRows++;
          this.logger.warn({ channel: head.channel, id: head.message.id, size: head.bytes }, 'message refused as too large: not published');
          return 1;
        }
        this.stats.publishFailures++;
        const delay = backoffDelay(++failures, PUBLISH_BACKOFF);
        this.logger.warn({ err: String(err), channel: head.channel, retryInMs: delay }, 'publish failed; retrying');
        await sleep(delay);
      }
      if (gen !== this.generation) return 0;
    }
  }

  /** After a size refusal of a whole batch: each message alone; one still refused is counted and skipped. */
  private async publishOneByOne(batch: PublishBatch, gen: number): Promise<boolean> {
    if (batch.data.length === 1) {
      this.stats.oversizedRows++;
      this.logger.warn(
        { channel: batch.channel, id: `${batch.idBase}:${batch.first}`, size: batch.bytes },
        'message refused as too large: not published',
      );
      return true;
    }
    const nameBytes = Buffer.byteLength(batch.name);
    for (let k = 0; k < batch.data.length; k++) {
      const data = batch.data[k];
      // the message keeps its id: `first` moves with it
      const single: PublishBatch = { ...batch, first: batch.first + k, data: [data], bytes: Buffer.byteLength(data) + nameBytes };
      if (!(await this.publishWithRetry([single], gen))) return false;
    }
    return true;
  }

  private advance(): void {
    let confirmed: bigint | undefined;
    while (this.order.length && this.order[0].remaining === 0) {
      const done = this.order.shift()!;
      if (done.endLsn !== undefined) confirmed = done.endLsn;
      this.addQueued(-done.rows);
    }
    if (confirmed !== undefined) this.events.onConfirmed(confirmed);
  }

  private addQueued(delta: number): void {
    this.queuedRows += delta;
    if (!this.pressured && this.queuedRows > HIGH_WATER_ROWS) {
      this.pressured = true;
      this.events.onPressure(true);
    } else if (this.pressured && this.queuedRows < LOW_WATER_ROWS) {
      this.pressured = false;
      this.events.onPressure(false);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
