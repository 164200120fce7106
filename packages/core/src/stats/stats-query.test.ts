import { describe, expect, it } from 'vitest';
import { fixtureEntries } from './entries.js';
import { intervalId, parseStatsTime } from './interval.js';
import { MemoryStatsStore } from './memory-stats-store.js';
import { parseStatsQuery, queryStats } from './stats-query.js';

const at = (id: string) => parseStatsTime('t', id);
const NOW = Date.UTC(2026, 5, 1, 12, 30, 15);

async function storeWith(...minutes: Array<[string, Record<string, number>, Record<string, number>?]>): Promise<MemoryStatsStore> {
  const store = new MemoryStatsStore();
  for (const [id, sums, peaks] of minutes) await store.add(at(id), sums, peaks ?? {}, 'n1');
  return store;
}

describe('stats queries', () => {
  it('reads interval ids in every form, as UTC', () => {
    expect(at('2025-02-03:15:04')).toBe(Date.UTC(2025, 1, 3, 15, 4));
    expect(at('2025-02-03:15')).toBe(Date.UTC(2025, 1, 3, 15));
    expect(at('2025-02-03')).toBe(Date.UTC(2025, 1, 3));
    expect(at('2025-02')).toBe(Date.UTC(2025, 1, 1));
    expect(at('1738595040000')).toBe(1738595040000);
    expect(() => at('yesterday')).toThrow(expect.objectContaining({ code: 40003 }));
    expect(intervalId(Date.UTC(2025, 1, 3, 15, 4), 'minute')).toBe('2025-02-03:15:04');
    expect(intervalId(Date.UTC(2025, 1, 3, 15), 'hour')).toBe('2025-02-03:15');
  });

  it('rolls minutes up by hour: counts add up, peaks take the largest minute, nodes add up', async () => {
    const store = await storeWith(
      ['2025-02-03:15:03', { 'messages.inbound.all.messages.count': 50 }, { 'connections.all.peak': 3 }],
      ['2025-02-03:15:04', { 'messages.inbound.all.messages.count': 60 }, { 'connections.all.peak': 7 }],
      ['2025-02-03:16:00', { 'messages.inbound.all.messages.count': 1 }],
    );
    await store.add(at('2025-02-03:15:04'), {}, { 'connections.all.peak': 2 }, 'n2');
    const q = parseStatsQuery(new URLSearchParams({ start: '2025-02-03:15', end: '2025-02-03:15', unit: 'hour' }), NOW);
    const page = await queryStats(store, q, 'app', NOW);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ intervalId: '2025-02-03:15', unit: 'hour', appId: 'app' });
    expect(page.items[0]!.entries).toEqual({ 'messages.inbound.all.messages.count': 110, 'connections.all.peak': 9 });
    expect(page.items[0]!.inProgress).toBeUndefined();
  });

  it('pages backwards and forwards with a cursor, and marks the current interval in progress', async () => {
    const store = await storeWith(['2026-06-01:12:28', { a: 1 }], ['2026-06-01:12:29', { a: 2 }], ['2026-06-01:12:30', { a: 3 }]);
    const back = parseStatsQuery(new URLSearchParams({ limit: '2' }), NOW);
    const first = await queryStats(store, back, 'app', NOW);
    expect(first.items.map((i) => i.entries.a)).toEqual([3, 2]);
    expect(first.items[0]!.inProgress).toBe('2026-06-01:12:30:15');
    const second = await queryStats(store, { ...back, cursor: first.next }, 'app', NOW);
    expect(second.items.map((i) => i.entries.a)).toEqual([1]);
    expect(second.next).toBeUndefined();
    const fwd = parseStatsQuery(new URLSearchParams({ direction: 'forwards', limit: '2' }), NOW);
    const f1 = await queryStats(store, fwd, 'app', NOW);
    expect(f1.items.map((i) => i.entries.a)).toEqual([1, 2]);
    expect((await queryStats(store, { ...fwd, cursor: f1.next }, 'app', NOW)).items.map((i) => i.entries.a)).toEqual([3]);
  });

  it('turns a sandbox fixture into app-stats entries with their roll-ups', () => {
    const e = fixtureEntries({
      intervalId: '2025-02-03:15:05',
      inbound: { realtime: { messages: { count: 70, data: 7000 } } },
      outbound: { realtime: { messages: { count: 40, data: 4000 } } },
      persisted: { presence: { count: 20, data: 2000 } },
      connections: { tls: { peak: 20, opened: 10 } },
      channels: { peak: 50, opened: 30 },
      apiRequests: { succeeded: 50, failed: 10 },
      tokenRequests: { succeeded: 60, failed: 20 },
    });
    expect(e).toMatchObject({
      'messages.inbound.realtime.messages.count': 70,
      'messages.inbound.all.messages.count': 70,
      'messages.inbound.all.all.data': 7000,
      'messages.outbound.all.messages.count': 40,
      'messages.all.all.count': 110,
      'messages.persisted.presence.count': 20,
      'connections.all.peak': 20,
      'channels.opened': 30,
      'apiRequests.all.failed': 10,
      'apiRequests.tokenRequests.succeeded': 60,
    });
  });
});
