import { describe, expect, it } from 'vitest';
import { pageHistory } from './history-query.js';
import { formatSerial, messageSerial } from './channel/serial.js';
import type { ChannelEvent } from './ports/events.js';
import type { AcceptedMessage } from './node-api.js';

const events: ChannelEvent[] = Array.from({ length: 25 }, (_, k) => {
  const serial = formatSerial('e', k + 1);
  return {
    kind: 'message',
    channel: 'c',
    id: `m${k}`,
    serial,
    timestamp: 1000 + k,
    messages: [{ id: `m${k}:0`, timestamp: 1000 + k, serial: messageSerial(serial, 0), data: String(k) }],
  };
});
const pick = (e: ChannelEvent) => e.messages;
const data = (items: AcceptedMessage[]) => items.map((m) => Number(m.data));

describe('history paging', () => {
  it('pages backwards by default and forwards on request, without gaps or repeats', () => {
    for (const direction of ['backwards', 'forwards'] as const) {
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = pageHistory(events, pick, { direction, limit: 10, cursor });
        seen.push(...data(page.items));
        cursor = page.next;
      } while (cursor);
      const all = Array.from({ length: 25 }, (_, i) => i);
      expect(seen).toEqual(direction === 'forwards' ? all : all.reverse());
    }
  });

  it('honours start/end and fromSerial (untilAttach)', () => {
    expect(data(pageHistory(events, pick, { start: 1003, end: 1005, direction: 'forwards' }).items)).toEqual([3, 4, 5]);
    expect(data(pageHistory(events, pick, { fromSerial: events[2].serial }).items)).toEqual([2, 1, 0]);
  });

  it('refuses a limit over 1000 with 40003', () => {
    expect(() => pageHistory(events, pick, { limit: 1001 })).toThrow(/limit/);
  });
});
