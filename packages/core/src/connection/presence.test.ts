import { expect, it } from 'vitest';
import type { AcceptedPresence } from '../node-api.js';
import { syncFrames } from './presence.js';

const member = (i: number, data = ''): AcceptedPresence => ({
  id: `c:${i}:0`,
  action: 2,
  clientId: `m${i}`,
  connectionId: 'c',
  timestamp: 1,
  data,
});

it('pages SYNC by member count, with cursors and an empty cursor on the last page', () => {
  const frames = syncFrames(
    'ch',
    Array.from({ length: 250 }, (_, i) => member(i)),
    100,
  );
  expect(frames.map((f) => f.presence!.length)).toEqual([100, 100, 50]);
  const [id] = String(frames[0].channelSerial).split(':');
  expect(frames.map((f) => f.channelSerial)).toEqual([`${id}:1`, `${id}:2`, `${id}:`]);
  expect(frames.every((f) => f.presence!.every((p) => p.action === 1))).toBe(true);
});

it('also pages by size, so large member data stays in small frames', () => {
  const frames = syncFrames(
    'ch',
    Array.from({ length: 10 }, (_, i) => member(i, 'x'.repeat(20_000))),
    100,
  );
  expect(frames.length).toBe(10);
  expect(frames.at(-1)!.channelSerial).toMatch(/:$/);
});

it('sends no SYNC for an empty channel', () => {
  expect(syncFrames('ch', [], 100)).toEqual([]);
});
