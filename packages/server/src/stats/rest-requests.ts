import type { TrafficCounters } from '@rowcast/core';

/**
 * REST requests by route and status, for the stats API (apiRequests, tokenRequests) and Prometheus
 * (rowcast_rest_requests_total{route,status}). Counted once per request after it was answered.
 */
export class RestRequestCounts {
  /** `route status` -> count, read by the Prometheus collector. */
  readonly byRouteStatus = new Map<string, number>();

  constructor(private readonly counters: TrafficCounters) {}

  record(pathname: string, status: number): void {
    const route = routeOf(pathname);
    const key = `${route} ${status}`;
    this.byRouteStatus.set(key, (this.byRouteStatus.get(key) ?? 0) + 1);
    const ok = status < 400;
    if (ok) this.counters.apiRequestsSucceeded++;
    else this.counters.apiRequestsFailed++;
    if (route === '/keys/:key/requestToken') {
      if (ok) this.counters.tokenRequestsSucceeded++;
      else this.counters.tokenRequestsFailed++;
    }
  }
}

const KNOWN_CHANNEL_PATHS = new Set(['', 'messages', 'presence', 'presence/history']);
const KNOWN_ROOTS = new Set(['time', 'stats', 'messages', 'presence', 'channels', 'keys']);

/** A REST path with its names replaced by placeholders (a bounded set of label values). */
export function routeOf(pathname: string): string {
  const s = pathname.split('/').filter(Boolean);
  if (s[0] === 'channels' && s.length >= 2) {
    const rest = s.slice(2).join('/');
    return KNOWN_CHANNEL_PATHS.has(rest) ? `/channels/:name${rest ? `/${rest}` : ''}` : '/channels/:name/...';
  }
  if (s[0] === 'keys' && s.length === 3 && s[2] === 'requestToken') return '/keys/:key/requestToken';
  if (s.length === 1 && KNOWN_ROOTS.has(s[0]!)) return `/${s[0]}`;
  return 'other';
}
