/** How a retry loop spaces its attempts: doubling from `baseMs`, never above `maxMs`. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * The delay before retry number `attempt` (1 for the first retry): base * 2^(attempt - 1), capped at max, then
 * "equal jitter" (a uniform pick in the upper half). Jitter keeps many nodes or lanes that failed together (a
 * database restart, a webhook outage) from retrying in lockstep; keeping the lower half makes the doubling hold.
 * `random` is for tests.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
