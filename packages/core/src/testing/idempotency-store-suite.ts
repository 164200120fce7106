import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { IdempotencyStore } from '../ports/idempotency-store.js';
import { fakeClock, type FakeClock } from './fake-clock.js';

export interface IdempotencyStoreSuiteOptions {
  /**
   * A store remembering ids for `windowMs`, reading time from `clock`. Stores made for one `backend` id share
   * what they saw (nodes of one cluster); `shared` says whether the implementation can do that at all.
   */
  newStore(opts: { windowMs: number; clock: FakeClock; backend: string }): IdempotencyStore | Promise<IdempotencyStore>;
  shared: boolean;
  cleanup?(): Promise<void>;
}

/** The guarantees of IdempotencyStore (ports/idempotency-store.ts), for every implementation. */
export function runIdempotencyStoreSuite(name: string, opts: IdempotencyStoreSuiteOptions): void {
  describe(`IdempotencyStore suite: ${name}`, () => {
    afterAll(async () => opts.cleanup?.());
    const unique = (p: string) => `${p}-${randomBytes(5).toString('hex')}`;

    it('answers first once per id and channel, in call order', async () => {
      const store = await opts.newStore({ windowMs: 60_000, clock: fakeClock(), backend: unique('b') });
      const [ch, other] = [unique('ch'), unique('ch')];
      expect(await store.firstSightings(ch, ['a', 'b', 'a'])).toEqual([true, true, false]);
      expect(await store.firstSightings(ch, ['b', 'c'])).toEqual([false, true]);
      expect(await store.firstSightings(other, ['a'])).toEqual([true]);
      expect(await store.firstSightings(ch, [])).toEqual([]);
    });

    it('answers at once as it answers later, sharing one record', async (ctx) => {
      const store = await opts.newStore({ windowMs: 60_000, clock: fakeClock(), backend: unique('b') });
      if (!store.firstSightingsNow) ctx.skip();
      const ch = unique('ch');
      expect(store.firstSightingsNow!(ch, ['a', 'b', 'a'])).toEqual([true, true, false]);
      expect(await store.firstSightings(ch, ['b', 'c'])).toEqual([false, true]);
      expect(store.firstSightingsNow!(ch, ['c', 'd'])).toEqual([false, true]);
      expect(store.firstSightingsNow!(unique('ch'), ['a'])).toEqual([true]);
    });

    it('forgets ids after the window', async () => {
      const clock = fakeClock();
      const store = await opts.newStore({ windowMs: 150, clock, backend: unique('b') });
      const ch = unique('ch');
      expect(await store.firstSightings(ch, ['x'])).toEqual([true]);
      clock.advance(400);
      await new Promise((r) => setTimeout(r, 400));
      expect(await store.firstSightings(ch, ['x'])).toEqual([true]);
    });

    it('gives one "first" among nodes asking at once', async (ctx) => {
      if (!opts.shared) ctx.skip();
      const backend = unique('b');
      const clock = fakeClock();
      const stores = await Promise.all([0, 1, 2].map(() => opts.newStore({ windowMs: 60_000, clock, backend })));
      const ch = unique('ch');
      const ids = Array.from({ length: 100 }, (_, i) => `id-${i}`);
      const answers = await Promise.all(stores.map((s) => s.firstSightings(ch, ids)));
      for (let i = 0; i < ids.length; i++) expect(answers.filter((a) => a[i]).length).toBe(1);
    });
  });
}
