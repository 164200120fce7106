import { expect, it } from 'vitest';
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
