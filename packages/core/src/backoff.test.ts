import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  const policy = { baseMs: 1000, maxMs: 60_000 };
  it('doubles from the base and stops at the cap (the top of the jitter range)', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, policy, () => 1))).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  });
  it('never goes below half of that, and spreads retries between the two', () => {
    expect([1, 2, 7].map((n) => backoffDelay(n, policy, () => 0))).toEqual([500, 1000, 30000]);
    const picks = new Set(Array.from({ length: 50 }, () => backoffDelay(3, policy)));
    expect(Math.min(...picks)).toBeGreaterThanOrEqual(2000);
    expect(Math.max(...picks)).toBeLessThanOrEqual(4000);
    expect(picks.size).toBeGreaterThan(10);
  });
});
