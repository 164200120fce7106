import { fixtureEntries, floorToUnit, parseStatsQuery, parseStatsTime, queryStats, statsQueryParams, type StatsStore } from '@rowcast/core';
import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import { requireCaller, type RestCaller } from '../authenticate.js';
import { sendBody } from '../respond.js';
import type { RouteHandler } from '../route.js';

/** What the stats routes read and write. */
export interface StatsDeps {
  store: StatsStore;
  /** `POST /stats` takes fixtures (the ably-js suite's sandbox); off in production. */
  fixtures: boolean;
}

/** App stats are for callers whose capability grants `stats` (or `*`) on some resource. */
function requireStatsRight(caller: RestCaller): void {
  const ops = Object.values(caller.credentials.capability);
  if (!ops.some((list) => list.includes('stats') || list.includes('*'))) {
    throw new ErrorInfo('Stats not permitted by this key or token (no "stats" capability)', ErrorCode.OPERATION_NOT_PERMITTED, 401);
  }
}

function statsDeps(deps: { stats?: StatsDeps }): StatsDeps {
  if (!deps.stats) throw new ErrorInfo('Stats are not enabled on this server', ErrorCode.NOT_FOUND, 404);
  return deps.stats;
}

function appIdOf(caller: RestCaller): string {
  const name = caller.credentials.keyName;
  return name.includes('.') ? name.slice(0, name.indexOf('.')) : name;
}

/** `GET /stats`: per-minute stats rolled up by `unit`, paged through `Link` like Ably's. */
export const getStats: RouteHandler = async (r) => {
  const caller = requireCaller(r.req, r.url, r.deps.auth);
  requireStatsRight(caller);
  const { store } = statsDeps(r.deps);
  const now = Date.now();
  const query = parseStatsQuery(r.url.searchParams, now);
  const page = await queryStats(store, query, appIdOf(caller), now);
  const link = (cursor: number | undefined, rel: string) => `<./stats?${statsQueryParams(query, cursor).toString()}>; rel="${rel}"`;
  const links = [link(undefined, 'first'), link(query.cursor, 'current')];
  if (page.next !== undefined) links.push(link(page.next, 'next'));
  sendBody(r.res, r.style, 200, page.items, { link: links.join(', ') });
};

/**
 * `POST /stats`: stats fixtures, as Ably's sandbox takes them (an array of `{intervalId, inbound, outbound,
 * persisted, connections, channels, apiRequests, tokenRequests}` or `{intervalId, entries}`), added to the
 * minutes they name. Only when `stats.fixtures` is on: fixtures would make a real app's stats lie.
 */
export const postStatsFixtures: RouteHandler = async (r) => {
  const caller = requireCaller(r.req, r.url, r.deps.auth);
  requireStatsRight(caller);
  const { store, fixtures } = statsDeps(r.deps);
  if (!fixtures) throw new ErrorInfo('Stats fixtures are disabled (enable them with stats.fixtures in the config)', ErrorCode.FORBIDDEN, 403);
  const body = await r.body();
  const list = Array.isArray(body) ? body : [body];
  const parsed = list.map((f, i) => {
    if (!f || typeof f !== 'object' || typeof (f as { intervalId?: unknown }).intervalId !== 'string') {
      throw new ErrorInfo(`fixture ${i}: expected an object with an intervalId`, ErrorCode.INVALID_REQUEST_BODY, 400);
    }
    const fixture = f as Record<string, unknown>;
    return {
      minute: floorToUnit(parseStatsTime(`fixture ${i} intervalId`, fixture.intervalId as string), 'minute'),
      entries: fixtureEntries(fixture),
    };
  });
  for (const { minute, entries } of parsed) await store.add(minute, entries, {}, 'fixtures');
  sendBody(r.res, r.style, 201, {});
};
