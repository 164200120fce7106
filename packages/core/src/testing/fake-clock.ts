import type { Clock } from '../ports/clock.js';

/** A clock tests move by hand (retention, timestamps). */
export interface FakeClock extends Clock {
  advance(ms: number): void;
}

/** A FakeClock starting at `start` (default: now, so Redis-side expiries stay sane). */
export function fakeClock(start = Date.now()): FakeClock {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
  };
}
