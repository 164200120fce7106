import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { NonceStore } from '../auth/nonce-store.js';
import { fakeClock, type FakeClock } from './fake-clock.js';

export interface NonceStoreSuiteOptions {
  /**
   * A store reading time from `clock`. Stores made for one `backend` id share what they saw (nodes of one
   * cluster); `shared` says whether the implementation can do that at all.
   */
  newStore(opts: { clock: FakeClock; backend: string }): NonceStore | Promise<NonceStore>;
  shared: boolean;
  cleanup?(): Promise<void>;
}

/** The guarantees of NonceStore (auth/nonce-store.ts), for every implementation. */
export function runNonceStoreSuite(name: string, opts: NonceStoreSuiteOptions): void {
  describe(`NonceStore suite: ${name}`, () => {
    afterAll(async () => opts.cleanup?.());
    const unique = (p: string) => `${p}-${randomBytes(5).toString('hex')}`;

    it('answers true once per key and nonce', async () => {
      const store = await opts.newStore({ clock: fakeClock(), backend: unique('b') });
      const [nonce, other] = [unique('n'), unique('n')];
      expect(await store.redeem('app1.full', nonce, 60_000)).toBe(true);
      expect(await store.redeem('app1.full', nonce, 60_000)).toBe(false);
      expect(await store.redeem('app1.full', nonce, 60_000)).toBe(false);
      expect(await store.redeem('app1.full', other, 60_000)).toBe(true);
      // Another key's nonce is another nonce, even with the same text (each key signs its own requests).
      expect(await store.redeem('app1.sub', nonce, 60_000)).toBe(true);
      expect(await store.redeem('app1.sub', nonce, 60_000)).toBe(false);
    });

    it('forgets a nonce after its own ttl, not before', async () => {
      const clock = fakeClock();
      const store = await opts.newStore({ clock, backend: unique('b') });
      const [short, long] = [unique('n'), unique('n')];
      expect(await store.redeem('app1.full', short, 150)).toBe(true);
      expect(await store.redeem('app1.full', long, 60_000)).toBe(true);
      clock.advance(400);
      await new Promise((r) => setTimeout(r, 400));
      expect(await store.redeem('app1.full', short, 150)).toBe(true);
      expect(await store.redeem('app1.full', long, 60_000)).toBe(false);
    });

    it('gives one true among nodes redeeming the same nonces at once', async (ctx) => {
      if (!opts.shared) ctx.skip();
      const backend = unique('b');
      const clock = fakeClock();
      const stores = await Promise.all([0, 1, 2].map(() => opts.newStore({ clock, backend })));
      const nonces = Array.from({ length: 50 }, () => unique('n'));
      const answers = await Promise.all(stores.map((s) => Promise.all(nonces.map((n) => s.redeem('app1.full', n, 60_000)))));
      for (let i = 0; i < nonces.length; i++) expect(answers.filter((a) => a[i]).length).toBe(1);
    });
  });
}
