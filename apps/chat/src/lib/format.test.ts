import { describe, expect, it } from 'vitest';
import { byline, clock } from './format.js';

describe('byline', () => {
  const now = new Date(2026, 10, 29, 15, 0);

  it('says only the time for a message from today', () => {
    expect(byline('Alice', new Date(2026, 10, 29, 9, 5).getTime(), now)).toBe('by Alice at 9:05 am');
  });

  it('adds the day and month for an older message', () => {
    expect(byline('Bob', new Date(2026, 10, 28, 23, 59).getTime(), now)).toBe('by Bob on 28/11 at 11:59 pm');
  });

  it('adds the year for a message from another year', () => {
    expect(byline('Bob', new Date(2025, 0, 2, 12, 0).getTime(), now)).toBe('by Bob on 2/1/2025 at 12:00 pm');
  });
});

describe('clock', () => {
  it('writes midnight and noon as 12', () => {
    expect(clock(new Date(2026, 0, 1, 0, 7))).toBe('12:07 am');
    expect(clock(new Date(2026, 0, 1, 12, 30))).toBe('12:30 pm');
  });
});
