import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import type { ChannelEvent } from '../ports/events.js';

/** A rewind request: the last `count` messages, or the messages of the last `ms` milliseconds. */
export type Rewind = { count: number } | { ms: number };

/** Ably caps count rewinds at 100 messages. */
const MAX_REWIND_COUNT = 100;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `rewind=10` / `rewind=2m` / `rewind=30s`; throws 40003 for anything else. */
export function parseRewind(value: string): Rewind {
  const m = /^(\d+)(s|m|h)?$/.exec(value.trim());
  if (!m) throw new ErrorInfo(`Invalid rewind "${value}"`, ErrorCode.INVALID_PARAMETER_VALUE, 400);
  const n = Number(m[1]);
  if (!m[2]) return { count: Math.min(n, MAX_REWIND_COUNT) };
  return { ms: n * UNIT_MS[m[2]] };
}

/**
 * The backlog a rewind delivers, oldest first: message events only (presence is reported by SYNC), trimmed so
 * that a count rewind delivers exactly the last `count` messages.
 */
export function selectBacklog(events: ChannelEvent[], rewind: Rewind, now: number): ChannelEvent[] {
  const messageEvents = events.filter((e) => e.kind === 'message' && e.messages?.length);
  if ('ms' in rewind) return messageEvents.filter((e) => e.timestamp >= now - rewind.ms);
  const out: ChannelEvent[] = [];
  let left = rewind.count;
  for (let i = messageEvents.length - 1; i >= 0 && left > 0; i--) {
    const e = messageEvents[i];
    const msgs = e.messages!;
    if (msgs.length <= left) {
      out.push(e);
      left -= msgs.length;
    } else {
      out.push({ ...e, messages: msgs.slice(msgs.length - left) });
      left = 0;
    }
  }
  return out.reverse();
}
