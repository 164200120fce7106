import type { Operations } from '../operations.js';

/** One point of the change stream chart. */
export interface ChangeStreamSample {
  at: number;
  slotLagBytes: number | null;
  rowsPerSecond: number;
}

/**
 * The change stream's slot lag and rows/s over the last `size` samples (one per `intervalMs`), for the admin
 * page's chart. Samples only while a connector runs on this node.
 */
export class ChangeStreamSamples {
  private readonly samples: ChangeStreamSample[] = [];
  private last?: { at: number; rows: number };
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly ops: Operations,
    intervalMs = 1000,
    private readonly size = 300,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs).unref();
  }

  list(): ChangeStreamSample[] {
    return [...this.samples];
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const state = this.ops.connector?.state();
    if (!state) return;
    const at = Date.now();
    const rows = state.publishedRows;
    const rowsPerSecond = this.last ? ((rows - this.last.rows) * 1000) / Math.max(1, at - this.last.at) : 0;
    this.last = { at, rows };
    this.samples.push({ at, slotLagBytes: state.slotLagBytes, rowsPerSecond: Math.round(rowsPerSecond * 10) / 10 });
    if (this.samples.length > this.size) this.samples.shift();
  }
}
