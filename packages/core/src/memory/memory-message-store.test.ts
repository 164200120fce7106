import { describe, expect, it } from 'vitest';
import type { AcceptedMessage } from '../node-api.js';
import { fakeClock } from '../testing/fake-clock.js';
import { MemoryMessageStore } from './memory-message-store.js';

/** Retention of the memory store's creates: by count (oldest out) and by age, as history's. */

const serial = (n: number) => `epoch@${String(n).padStart(10, '0')}-0:0`;
const create = (n: number, timestamp: number): AcceptedMessage => ({ id: `m${n}`, serial: serial(n), timestamp, action: 0, data: String(n) });

describe('MemoryMessageStore retention', () => {
  it('keeps the newest maxEventsPerChannel creates of a channel, over many evictions', async () => {
    const clock = fakeClock();
    const store = new MemoryMessageStore({ ttlMs: 60_000, maxEventsPerChannel: 10 }, clock);
    // far more than the limit, so the eviction order is compacted several times on the way
    for (let n = 1; n <= 5_000; n++) await store.record('ch', [create(n, clock.now())]);
    const found = await store.latest('ch', [serial(1), serial(4_990), serial(4_991), serial(5_000)]);
    expect(found.map((m) => m?.data)).toEqual([undefined, undefined, '4991', '5000']);
    store.close();
  });

  it('drops creates older than ttlMs when it sweeps, and forgets a channel left empty', async () => {
    const clock = fakeClock();
    const store = new MemoryMessageStore({ ttlMs: 60_000, maxEventsPerChannel: 10_000 }, clock);
    await store.record('ch', [create(1, clock.now())]);
    clock.advance(30_000);
    await store.record('ch', [create(2, clock.now())]);
    clock.advance(40_000);
    store.sweep();
    expect((await store.latest('ch', [serial(1), serial(2)])).map((m) => m?.data)).toEqual([undefined, '2']);
    clock.advance(60_000);
    store.sweep();
    expect(await store.latest('ch', [serial(2)])).toEqual([undefined]);
    await store.record('ch', [create(3, clock.now())]);
    expect((await store.latest('ch', [serial(3)]))[0]?.data).toBe('3');
    store.close();
  });
});
