import type { BenchResult } from './report.js';

/** How a run was asked for. */
export interface RunContext {
  /** Seconds-long sizes for CI: keeps the code working, measures nothing. */
  smoke: boolean;
  /** Profile the Rowcast server during each measured window; profiles go to bench/results/profiles/<name>/. */
  profileDir?: string;
}

/** One benchmark: a name for `npm run bench -- NAME`, and a run that returns its result. */
export interface Benchmark {
  name: string;
  description: string;
  run(ctx: RunContext): Promise<BenchResult>;
}

/** `a / b` as a ratio string with two decimals and an `x`. */
export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a';
  return `${(a / b).toFixed(2)}x`;
}
