import { describe, expect, it } from 'vitest';
import { pageHistory } from './history-query.js';
import { formatSerial, messageSerial } from './channel/serial.js';
import type { ChannelEvent } from './ports/events.js';
import type { HistoryPageRequest } from './ports/history-store.js';
import type { AcceptedMessage, HistoryQuery } from './node-api.js';
import { MemoryHistoryStore } from './memory/memory-history-store.js';
import { fakeClock } from './testing/fake-clock.js';

/** A memory store holding `n` events: every event holds `perEvent` messages; every `presenceEvery`-th is presence. */
async function storeWith(n: number, opts: { perEvent?: number; presenceEvery?: number } = {}) {
  const clock = fakeClock(1000);
  const store = new MemoryHistoryStore({ ttlMs: 3_600_000, maxEventsPerChannel: 100_000 }, clock);
  for (let k = 0; k < n; k++) {
    const serial = formatSerial('e', k + 1);
    const presence = opts.presenceEvery !== undefined && k % opts.presenceEvery === 0;
    const base = { channel: 'c', id: `m${k}`, connectionId: 'x', serial, timestamp: 1000 + k };
    const event: ChannelEvent = presence
      ? { ...base, kind: 'presence', presence: [{ id: `p${k}`, action: 2, clientId: 'p', connectionId: 'x', timestamp: 1000 + k } as never] }
      : {
          ...base,
          kind: 'message',
          messages: Array.from({ length: opts.perEvent ?? 1 }, (_, i) => ({
            id: `m${k}:${i}`,
            timestamp: 1000 + k,
            serial: messageSerial(serial, i),
            data: `${k}.${i}`,
          })),
        };
    await store.append(event);
  }
  let eventsRead = 0;
  const read = async (request: HistoryPageRequest) => {
    const events = await store.page('c', request);
    eventsRead += events.length;
    return events;
  };
  return { read, eventsRead: () => eventsRead, close: () => store.close() };
}

const pick = (e: ChannelEvent) => e.messages;
const data = (items: AcceptedMessage[]) => items.map((m) => m.data as string);

async function all(read: (r: HistoryPageRequest) => Promise<ChannelEvent[]>, query: HistoryQuery): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await pageHistory(read, pick, { ...query, cursor });
    seen.push(...data(page.items));
    cursor = page.next;
  } while (cursor);
  return seen;
}

describe('history paging', () => {
  it('pages backwards by default and forwards on request, without gaps or repeats', async () => {
    const { read, close } = await storeWith(25);
    const each = Array.from({ length: 25 }, (_, k) => `${k}.0`);
    expect(await all(read, { direction: 'forwards', limit: 10 })).toEqual(each);
    expect(await all(read, { limit: 10 })).toEqual([...each].reverse());
    close();
  });

  it('pages through events of several messages, a cursor falling inside an event, and skips presence', async () => {
    const { read, close } = await storeWith(12, { perEvent: 3, presenceEvery: 4 });
    const messages = Array.from({ length: 12 }, (_, k) => k)
      .filter((k) => k % 4 !== 0)
      .flatMap((k) => [0, 1, 2].map((i) => `${k}.${i}`));
    for (const limit of [1, 2, 4, 5, 7, 100]) {
      expect(await all(read, { direction: 'forwards', limit })).toEqual(messages);
      expect(await all(read, { direction: 'backwards', limit })).toEqual([...messages].reverse());
    }
    close();
  });

  it('honours start/end and fromSerial (untilAttach)', async () => {
    const { read, close } = await storeWith(25);
    expect(data((await pageHistory(read, pick, { start: 1003, end: 1005, direction: 'forwards' })).items)).toEqual(['3.0', '4.0', '5.0']);
    expect(data((await pageHistory(read, pick, { start: 1003, end: 1005 })).items)).toEqual(['5.0', '4.0', '3.0']);
    expect(data((await pageHistory(read, pick, { fromSerial: formatSerial('e', 3) })).items)).toEqual(['2.0', '1.0', '0.0']);
    close();
  });

  it('reads only about its page from a 10,000-event channel', async () => {
    const { read, eventsRead, close } = await storeWith(10_000);
    const first = await pageHistory(read, pick, { limit: 100 });
    expect(data(first.items).slice(0, 2)).toEqual(['9999.0', '9998.0']);
    expect(eventsRead()).toBe(101);
    const second = await pageHistory(read, pick, { limit: 100, cursor: first.next });
    expect(data(second.items)[0]).toBe('9899.0');
    expect(eventsRead()).toBe(101 + 102); // the cursor's own event is read again
    close();
  });

  it('refuses a limit over 1000 and a cursor it did not make with 40003', async () => {
    const { read, close } = await storeWith(3);
    await expect(pageHistory(read, pick, { limit: 1001 })).rejects.toMatchObject({ code: 40003 });
    await expect(pageHistory(read, pick, { cursor: 'garbage' })).rejects.toMatchObject({ code: 40003, statusCode: 400 });
    close();
  });
});
