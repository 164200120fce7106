/** Time source of the engine. Timestamps on messages and history retention read it. */
export interface Clock {
  /** Milliseconds since the epoch; never goes backwards within one process. */
  now(): number;
}

/** The wall clock, made monotonic so two events in a row never get decreasing timestamps. */
export function systemClock(): Clock {
  let last = 0;
  return {
    now() {
      const t = Date.now();
      last = Math.max(t, last);
      return last;
    },
  };
}
