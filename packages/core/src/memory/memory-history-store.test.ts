import { expect, it, vi } from 'vitest';
import { formatSerial } from '../channel/serial.js';
import type { ChannelEvent } from '../ports/events.js';
import { MemoryHistoryStore } from './memory-history-store.js';

const event = (seq: number, timestamp: number): ChannelEvent => ({
  kind: 'message',
  channel: 'c',
  id: `e${seq}`,
  serial: formatSerial('ep', seq),
  timestamp,
  messages: [],
});

it('keeps the newest events under the count cap across many appends, and knows which gaps are lost', async () => {
  let now = 1000;
  const store = new MemoryHistoryStore({ ttlMs: 60_000, maxEventsPerChannel: 100 }, { now: () => now });
  for (let seq = 1; seq <= 3000; seq++) await store.append(event(seq, now));
  const kept = await store.events('c');
  expect(kept.map((e) => e.id)).toEqual(Array.from({ length: 100 }, (_, i) => `e${2901 + i}`));
  expect((await store.eventsAfter('c', formatSerial('ep', 2950)))?.map((e) => e.id)).toEqual(Array.from({ length: 50 }, (_, i) => `e${2951 + i}`));
  expect(await store.eventsAfter('c', formatSerial('ep', 2900))).toHaveLength(100); // just continuous
  expect(await store.eventsAfter('c', formatSerial('ep', 2899))).toBeUndefined(); // e2900 is gone
  expect(await store.eventsAfter('c', formatSerial('other', 2950))).toBeUndefined(); // another incarnation
  expect(await store.eventsAfter('c', formatSerial('ep', 3000))).toEqual([]);

  now += 61_000; // everything expires; the channel still knows where it was
  expect(await store.events('c')).toEqual([]);
  expect(await store.eventsAfter('c', formatSerial('ep', 3000))).toEqual([]);
  expect(await store.eventsAfter('c', formatSerial('ep', 2999))).toBeUndefined();
});

it("forgets an empty channel's record once no resume could need it", async () => {
  let now = 1000;
  const store = new MemoryHistoryStore({ ttlMs: 60_000, maxEventsPerChannel: 100 }, { now: () => now });
  for (const channel of ['a', 'b']) await store.append({ ...event(1, now), channel });
  now += 61_000; // both expired: their records stay, a late resume from seq 1 is still continuous
  store.sweep();
  expect(store.channelCount).toBe(2);
  expect(await store.eventsAfter('a', formatSerial('ep', 1))).toEqual([]);
  await store.append({ ...event(2, now), channel: 'b' }); // b is active again
  now += 11 * 60_000;
  store.sweep();
  expect(store.channelCount).toBe(1); // a is forgotten; b's last event is just within the grace
  expect(await store.eventsAfter('a', formatSerial('ep', 1))).toBeUndefined();
  store.close();
});

it('stops its sweep timer on close', () => {
  vi.useFakeTimers();
  try {
    const store = new MemoryHistoryStore({ ttlMs: 60_000, maxEventsPerChannel: 100 }, { now: () => 0 });
    expect(vi.getTimerCount()).toBe(1);
    store.close();
    expect(vi.getTimerCount()).toBe(0);
  } finally {
    vi.useRealTimers();
  }
});

it('does not keep ephemeral messages, and keeps their event so the serials stay continuous', async () => {
  const store = new MemoryHistoryStore({ ttlMs: 60_000, maxEventsPerChannel: 100 }, { now: () => 1000 });
  const message = (data: string, ephemeral: boolean) => ({
    id: data,
    data,
    timestamp: 1000,
    serial: '',
    ...(ephemeral ? { extras: { ephemeral: true } } : {}),
  });
  await store.append({ ...event(1, 1000), messages: [message('kept', false)] });
  const delivered = { ...event(2, 1000), messages: [message('typing', true), message('also kept', false)] };
  await store.append(delivered);
  await store.append({ ...event(3, 1000), messages: [message('typing again', true)] });
  const kept = await store.events('c');
  expect(kept.map((e) => e.messages?.map((m) => m.data))).toEqual([['kept'], ['also kept'], []]);
  expect(delivered.messages).toHaveLength(2); // the event being delivered is not changed
  expect((await store.eventsAfter('c', formatSerial('ep', 1)))?.map((e) => e.id)).toEqual(['e2', 'e3']);
});
