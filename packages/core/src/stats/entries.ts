import type { TrafficCounters } from '../counters.js';

/**
 * Ably app-stats entry names (schema app-stats-0.0.5) from Rowcast's counters, and from the legacy nested
 * stats objects the stats fixtures API takes. `count` and `data` of each message category roll up the way
 * Ably's do: per transport into `all`, per type (messages, presence) into `all`, inbound + outbound into
 * `messages.all`.
 */

export const APP_STATS_SCHEMA = 'https://schemas.ably.com/json/app-stats-0.0.5.json';

type Direction = 'inbound' | 'outbound';
const TYPES = ['messages', 'presence'] as const;
const FIELDS = ['count', 'data'] as const;

/** Adds `v` to `entries[name]` (absent counts as 0; zero additions leave the entry out, stats are sparse). */
function add(entries: Record<string, number>, name: string, v: number): void {
  if (v) entries[name] = (entries[name] ?? 0) + v;
}

/**
 * Adds one message-traffic leaf and its roll-ups: `messages.<dir>.<transport>.<type>.<field>` into the
 * transport's `all` type, the `all` transport, and `messages.all.<type>` / `messages.all.all`.
 */
function addTraffic(entries: Record<string, number>, dir: Direction, transport: string, type: string, field: string, v: number): void {
  for (const t of new Set([transport, 'all'])) {
    add(entries, `messages.${dir}.${t}.${type}.${field}`, v);
    add(entries, `messages.${dir}.${t}.all.${field}`, v);
  }
  add(entries, `messages.all.${type}.${field}`, v);
  add(entries, `messages.all.all.${field}`, v);
}

/** Cumulative entries of a node's counters (sums only; levels such as peaks come from liveLevels). */
export function trafficEntries(c: TrafficCounters): Record<string, number> {
  const e: Record<string, number> = {};
  addTraffic(e, 'inbound', 'realtime', 'messages', 'count', c.realtimeMessagesIn);
  addTraffic(e, 'inbound', 'realtime', 'messages', 'data', c.realtimeMessageBytesIn);
  addTraffic(e, 'inbound', 'rest', 'messages', 'count', c.restMessagesIn);
  addTraffic(e, 'inbound', 'rest', 'messages', 'data', c.restMessageBytesIn);
  addTraffic(e, 'inbound', 'realtime', 'presence', 'count', c.presenceIn);
  addTraffic(e, 'inbound', 'realtime', 'presence', 'data', c.presenceBytesIn);
  addTraffic(e, 'outbound', 'realtime', 'messages', 'count', c.messagesOut);
  addTraffic(e, 'outbound', 'realtime', 'messages', 'data', c.messageBytesOut);
  addTraffic(e, 'outbound', 'realtime', 'presence', 'count', c.presenceOut);
  addTraffic(e, 'outbound', 'realtime', 'presence', 'data', c.presenceBytesOut);
  add(e, 'connections.all.opened', c.connectionsOpened);
  add(e, 'channels.opened', c.channelsOpened);
  add(e, 'apiRequests.all.succeeded', c.apiRequestsSucceeded);
  add(e, 'apiRequests.all.failed', c.apiRequestsFailed);
  add(e, 'apiRequests.tokenRequests.succeeded', c.tokenRequestsSucceeded);
  add(e, 'apiRequests.tokenRequests.failed', c.tokenRequestsFailed);
  let refused = 0;
  for (const n of c.publishRefusals.values()) refused += n;
  add(e, 'messages.inbound.realtime.messages.refused', refused);
  add(e, 'messages.inbound.all.messages.refused', refused);
  add(e, 'messages.all.all.refused', refused);
  return e;
}

/** `now - before` per entry, zeros left out. */
export function entriesDelta(now: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, v] of Object.entries(now)) add(out, name, v - (before[name] ?? 0));
  return out;
}

/** How entries of several minutes combine into one interval: levels by max/min, everything else by sum. */
export function combineEntry(name: string, a: number | undefined, b: number): number {
  if (a === undefined) return b;
  if (name.endsWith('.peak')) return Math.max(a, b);
  if (name.endsWith('.min')) return Math.min(a, b);
  return a + b;
}

type Nested = { [key: string]: number | Nested };

/**
 * One stats fixture (the legacy nested shape Ably's sandbox accepts, e.g. `{inbound:{realtime:{messages:
 * {count:50,data:5000}}}, connections:{tls:{peak:20}}, channels:{peak:50}, apiRequests:{succeeded:50}}`, or
 * `entries` given by name) as entries.
 */
export function fixtureEntries(fixture: Record<string, unknown>): Record<string, number> {
  const e: Record<string, number> = {};
  const obj = (v: unknown): Nested => (v && typeof v === 'object' ? (v as Nested) : {});
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  for (const dir of ['inbound', 'outbound'] as const) {
    for (const [transport, byType] of Object.entries(obj(fixture[dir]))) {
      if (transport === 'all') continue;
      for (const type of TYPES) for (const f of FIELDS) addTraffic(e, dir, transport, type, f, num(obj(obj(byType)[type])[f]));
    }
  }
  for (const type of TYPES) {
    for (const f of FIELDS) {
      const v = num(obj(obj(fixture.persisted)[type])[f]);
      add(e, `messages.persisted.${type}.${f}`, v);
      add(e, `messages.persisted.all.${f}`, v);
    }
  }
  for (const [kind, fields] of Object.entries(obj(fixture.connections))) {
    if (kind === 'all' && Object.keys(obj(fixture.connections)).length > 1) continue;
    for (const [f, v] of Object.entries(obj(fields))) add(e, `connections.all.${f}`, num(v));
  }
  for (const [f, v] of Object.entries(obj(fixture.channels))) add(e, `channels.${f}`, num(v));
  for (const [f, v] of Object.entries(obj(fixture.apiRequests))) add(e, `apiRequests.all.${f}`, num(v));
  for (const [f, v] of Object.entries(obj(fixture.tokenRequests))) add(e, `apiRequests.tokenRequests.${f}`, num(v));
  for (const [name, v] of Object.entries(obj(fixture.entries))) add(e, name, num(v));
  return e;
}
