import type { TrafficCounters } from '../counters.js';
import type { Logger } from '../ports/logger.js';
import { entriesDelta, trafficEntries } from './entries.js';
import { floorToUnit } from './interval.js';
import type { StatsStore } from './stats-store.js';

export interface StatsRecorderOptions {
  counters: TrafficCounters;
  store: StatsStore;
  /** This node's id among the nodes sharing the store (its levels are kept apart from the others'). */
  nodeId: string;
  /** Current levels (connections, channels) sampled at each flush; the minute's peak is the largest sample. */
  levels: () => { connections: number; channels: number };
  /** How often counters are written to the store (default 2 s: Ably's stats lag up to 6 s). */
  flushIntervalMs?: number;
  now?: () => number;
  logger?: Logger;
}

/**
 * Turns a node's counters into per-minute stats: every flush it writes the counters' growth since the last
 * successful write into the current minute, and the minute's peak levels so far. A failed write is retried
 * with the next flush (nothing is lost, it lands in a later minute).
 */
export class StatsRecorder {
  private written: Record<string, number> = {};
  private minute = -1;
  private peaks = { connections: 0, channels: 0 };
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(private readonly opts: StatsRecorderOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.flushIntervalMs ?? 2000).unref();
  }

  /** Stops the timer and writes what is left. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Writes the counters' growth and the peaks now (one write at a time). */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async write(): Promise<void> {
    const now = (this.opts.now ?? Date.now)();
    const minute = floorToUnit(now, 'minute');
    const levels = this.opts.levels();
    if (minute !== this.minute) {
      this.minute = minute;
      this.peaks = { connections: 0, channels: 0 };
    }
    const changed = levels.connections > this.peaks.connections || levels.channels > this.peaks.channels;
    this.peaks.connections = Math.max(this.peaks.connections, levels.connections);
    this.peaks.channels = Math.max(this.peaks.channels, levels.channels);
    const totals = trafficEntries(this.opts.counters);
    const sums = entriesDelta(totals, this.written);
    const peaks: Record<string, number> = {};
    if (this.peaks.connections) peaks['connections.all.peak'] = this.peaks.connections;
    if (this.peaks.channels) peaks['channels.peak'] = this.peaks.channels;
    if (Object.keys(sums).length === 0 && !changed) return;
    try {
      await this.opts.store.add(minute, sums, peaks, this.opts.nodeId);
      this.written = totals;
    } catch (err) {
      this.opts.logger?.warn({ err }, 'writing stats failed; retrying with the next flush');
    }
  }
}
