import { ErrorCode, ErrorInfo } from '@rowcast/protocol';

/** The granularities of Ably's stats API. */
export type StatsUnit = 'minute' | 'hour' | 'day' | 'month';
export const STATS_UNITS: readonly StatsUnit[] = ['minute', 'hour', 'day', 'month'];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Start (ms, UTC) of the interval of `unit` holding `ms`. */
export function floorToUnit(ms: number, unit: StatsUnit): number {
  switch (unit) {
    case 'minute':
      return Math.floor(ms / MINUTE) * MINUTE;
    case 'hour':
      return Math.floor(ms / HOUR) * HOUR;
    case 'day':
      return Math.floor(ms / DAY) * DAY;
    case 'month': {
      const d = new Date(ms);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
  }
}

/** Start of the interval after the one starting at `start`. */
export function nextInterval(start: number, unit: StatsUnit): number {
  if (unit !== 'month') return start + (unit === 'minute' ? MINUTE : unit === 'hour' ? HOUR : DAY);
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Ably's intervalId: `yyyy-mm-dd:hh:mm` (minute), `yyyy-mm-dd:hh` (hour), `yyyy-mm-dd:00` (day), `yyyy-mm-01:00` (month). */
export function intervalId(start: number, unit: StatsUnit): string {
  const d = new Date(start);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  if (unit === 'minute') return `${date}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return `${date}:${pad(d.getUTCHours())}`;
}

/** `yyyy-mm-dd:hh:mm:ss`, the form of `inProgress`. */
export function secondId(ms: number): string {
  const d = new Date(ms);
  return `${intervalId(ms, 'minute')}:${pad(d.getUTCSeconds())}`;
}

const ID_FORM = /^(\d{4})-(\d{2})(?:-(\d{2})(?::(\d{2})(?::(\d{2}))?)?)?$/;

/**
 * A stats time parameter: milliseconds since the epoch, or an interval id in any of its forms (`yyyy-mm`,
 * `yyyy-mm-dd`, `yyyy-mm-dd:hh`, `yyyy-mm-dd:hh:mm`), read as UTC. Throws 40003 for anything else.
 */
export function parseStatsTime(name: string, raw: string): number {
  if (/^\d+$/.test(raw)) return Number(raw);
  const m = ID_FORM.exec(raw);
  const ms = m ? Date.UTC(+m[1]!, +m[2]! - 1, m[3] ? +m[3] : 1, m[4] ? +m[4] : 0, m[5] ? +m[5] : 0) : NaN;
  if (!Number.isFinite(ms)) {
    throw new ErrorInfo(
      `Invalid value for ${name}: expected milliseconds since the epoch or an interval id like 2024-02-03:15:04`,
      ErrorCode.INVALID_PARAMETER_VALUE,
      400,
    );
  }
  return ms;
}
