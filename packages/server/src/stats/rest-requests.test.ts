import { describe, expect, it } from 'vitest';
import { TrafficCounters } from '@rowcast/core';
import { RestRequestCounts, routeOf } from './rest-requests.js';

describe('REST request counting', () => {
  it('names routes with placeholders, so label values stay a small fixed set whatever the paths', () => {
    expect(routeOf('/channels/room-1/messages')).toBe('/channels/:name/messages');
    expect(routeOf('/channels/a%2Fb/presence/history')).toBe('/channels/:name/presence/history');
    expect(routeOf('/channels/x')).toBe('/channels/:name');
    expect(routeOf('/channels/x/whatever/you/like')).toBe('/channels/:name/...');
    expect(routeOf('/keys/app1.full/requestToken')).toBe('/keys/:key/requestToken');
    expect(routeOf('/time')).toBe('/time');
    expect(routeOf('/random-thing')).toBe('other');
  });

  it('feeds the stats counters: API requests by outcome, token requests apart', () => {
    const counters = new TrafficCounters();
    const counts = new RestRequestCounts(counters);
    counts.record('/channels/a/messages', 201);
    counts.record('/channels/b/messages', 401);
    counts.record('/keys/app1.full/requestToken', 201);
    expect(counters).toMatchObject({ apiRequestsSucceeded: 2, apiRequestsFailed: 1, tokenRequestsSucceeded: 1, tokenRequestsFailed: 0 });
    expect(Object.fromEntries(counts.byRouteStatus)).toEqual({
      '/channels/:name/messages 201': 1,
      '/channels/:name/messages 401': 1,
      '/keys/:key/requestToken 201': 1,
    });
  });
});
