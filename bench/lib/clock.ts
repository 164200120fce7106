/**
 * Wall-clock milliseconds with sub-millisecond resolution. `performance.timeOrigin` is the wall-clock time the
 * process started, so values from two processes on one machine are comparable (to well under a millisecond),
 * which is what publish-to-receive latency across a publisher and a subscriber process needs.
 */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
