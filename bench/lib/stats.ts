/** Percentile summary of a latency (or any) distribution, in the samples' unit. */
export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Sorts a copy of the samples ascending (numeric). */
export function sorted(samples: ArrayLike<number>): Float64Array {
  const copy = Float64Array.from(samples as ArrayLike<number>);
  copy.sort();
  return copy;
}

/** The q-quantile (0..1) of ascending samples, nearest-rank. */
export function quantile(asc: ArrayLike<number>, q: number): number {
  if (asc.length === 0) return NaN;
  const rank = Math.min(asc.length - 1, Math.max(0, Math.ceil(q * asc.length) - 1));
  return asc[rank];
}

/** p50/p90/p99/max etc. of the samples. */
export function summarize(samples: ArrayLike<number>): Summary {
  const asc = sorted(samples);
  let sum = 0;
  for (let i = 0; i < asc.length; i++) sum += asc[i];
  return {
    count: asc.length,
    min: asc.length ? asc[0] : NaN,
    mean: asc.length ? sum / asc.length : NaN,
    p50: quantile(asc, 0.5),
    p90: quantile(asc, 0.9),
    p99: quantile(asc, 0.99),
    max: asc.length ? asc[asc.length - 1] : NaN,
  };
}

/**
 * A compact CDF of the samples: `points` (value, fraction) pairs at evenly spaced fractions plus the tail
 * (p99.9, max), small enough to keep in the results JSON and to draw, unlike a million raw samples.
 */
export function cdfPoints(samples: ArrayLike<number>, points = 200): Array<[number, number]> {
  const asc = sorted(samples);
  if (asc.length === 0) return [];
  const out: Array<[number, number]> = [];
  for (let i = 0; i <= points; i++) {
    const q = i / points;
    out.push([quantile(asc, q === 0 ? 1 / asc.length : q), q]);
  }
  out.splice(out.length - 1, 0, [quantile(asc, 0.999), 0.999]);
  out.sort((a, b) => a[1] - b[1]);
  return out;
}

/** Median of a few repeated measurements (e.g. TPS of several rounds). */
export function median(values: number[]): number {
  const asc = [...values].sort((a, b) => a - b);
  if (asc.length === 0) return NaN;
  const mid = Math.floor(asc.length / 2);
  return asc.length % 2 ? asc[mid] : (asc[mid - 1] + asc[mid]) / 2;
}

/** Formats a number for a table: 3 significant digits for small values, grouped thousands for large. */
export function fmt(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(digits)).toString();
}
