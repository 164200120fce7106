import { describe, expect, it } from 'vitest';
import { ErrorInfo } from '@rowcast/protocol';
import { parseChannelName } from './names.js';
import { isAfter } from './order.js';
import { parseRewind, selectBacklog } from './rewind.js';
import { formatSerial, messageSerial, parseSerial } from './serial.js';
import type { ChannelEvent } from '../ports/events.js';

describe('channel names', () => {
  it('reads the [?rewind=...] qualifier and leaves plain names alone', () => {
    expect(parseChannelName('[?rewind=2m]chat')).toEqual({ base: 'chat', params: { rewind: '2m' } });
    expect(parseChannelName('room:1/a b*')).toEqual({ base: 'room:1/a b*', params: {} });
  });
  it('reads a derived channel [filter=<base64>?params] (as the SDK builds it) and the known metachannels', () => {
    const b64 = Buffer.from('name == `"a"`').toString('base64');
    expect(parseChannelName(`[filter=${b64}?rewind=1]chat`)).toEqual({ base: 'chat', params: { rewind: '1' }, filter: 'name == `"a"`' });
    expect(parseChannelName('[meta]channel.lifecycle')).toEqual({ base: '[meta]channel.lifecycle', params: {} });
  });
  it.each(['', ':x', '[meta]x', '[other]x', '[filter=abc', '[?rewind=1', 'a\u0000b', 'x'.repeat(3000), 5])('refuses %j with 40010', (name) => {
    try {
      parseChannelName(name);
      expect.unreachable();
    } catch (err) {
      expect((err as ErrorInfo).code).toBe(40010);
    }
  });
});

describe('serials', () => {
  it('sort as strings within an epoch and compare across epochs', () => {
    const a = formatSerial('abc', 9);
    const b = formatSerial('abc', 10);
    expect(a < b).toBe(true);
    expect(isAfter(b, a)).toBe(true);
    expect(isAfter(a, b)).toBe(false);
    expect(isAfter(formatSerial('abd', 1), b)).toBe(true);
    expect(parseSerial(messageSerial(b, 3))).toEqual({ epoch: 'abc', seq: 10 });
    expect(parseSerial('nonsense')).toBeUndefined();
  });
});

describe('rewind', () => {
  const ev = (seq: number, n: number, timestamp: number): ChannelEvent => ({
    kind: 'message',
    channel: 'c',
    id: `e${seq}`,
    serial: formatSerial('e', seq),
    timestamp,
    messages: Array.from({ length: n }, (_, i) => ({ id: `${seq}:${i}`, timestamp, serial: '', data: `${seq}.${i}` })),
  });

  it('parses counts (capped at 100) and durations, refuses the rest with 40003', () => {
    expect(parseRewind('10')).toEqual({ count: 10 });
    expect(parseRewind('500')).toEqual({ count: 100 });
    expect(parseRewind('2m')).toEqual({ ms: 120_000 });
    expect(parseRewind('30s')).toEqual({ ms: 30_000 });
    expect(() => parseRewind('soon')).toThrow(ErrorInfo);
  });

  it('selects exactly the last N messages even inside multi-message events, oldest first', () => {
    const events = [ev(1, 3, 0), ev(2, 3, 0)];
    const picked = selectBacklog(events, { count: 4 }, 0).flatMap((e) => e.messages!.map((m) => m.data));
    expect(picked).toEqual(['1.2', '2.0', '2.1', '2.2']);
  });

  it('selects by age and ignores presence events', () => {
    const presence: ChannelEvent = { kind: 'presence', channel: 'c', id: 'p', serial: formatSerial('e', 3), timestamp: 900, presence: [] };
    const picked = selectBacklog([ev(1, 1, 100), ev(2, 1, 800), presence], { ms: 500 }, 1000);
    expect(picked.map((e) => e.id)).toEqual(['e2']);
  });
});
