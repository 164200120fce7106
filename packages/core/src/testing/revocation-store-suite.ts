import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { RevocationStore, TokenRevocation } from '../auth/revocation-store.js';
import { fakeClock, type FakeClock } from './fake-clock.js';

export interface RevocationStoreSuiteOptions {
  /** A store; stores made for one `backend` id share revocations (nodes of one cluster) when `shared`. */
  newStore(opts: { clock: FakeClock; backend: string }): RevocationStore | Promise<RevocationStore>;
  shared: boolean;
  cleanup?(): Promise<void>;
}

/** What a listener was handed so far, flattened. */
function recorder() {
  const seen: TokenRevocation[] = [];
  return { seen, listener: (list: TokenRevocation[]) => seen.push(...list) };
}

/** The guarantees of RevocationStore (auth/revocation-store.ts), for every implementation. */
export function runRevocationStoreSuite(name: string, opts: RevocationStoreSuiteOptions): void {
  describe(`RevocationStore suite: ${name}`, () => {
    const stores: RevocationStore[] = [];
    afterAll(async () => {
      for (const s of stores) await s.close();
      await opts.cleanup?.();
    });
    const unique = (p: string) => `${p}-${randomBytes(5).toString('hex')}`;
    const make = async (clock: FakeClock, backend: string) => {
      const store = await opts.newStore({ clock, backend });
      stores.push(store);
      return store;
    };
    const revocation = (clock: FakeClock, target: string): TokenRevocation => ({
      keyName: 'app1.rev',
      target,
      issuedBefore: clock.now(),
      appliesAt: clock.now(),
    });

    it('hands a subscriber the revocations made after it subscribed', async () => {
      const clock = fakeClock();
      const store = await make(clock, unique('b'));
      const rec = recorder();
      await store.subscribe(rec.listener);
      const r = revocation(clock, 'clientId:alice');
      await store.revoke([r]);
      await expect.poll(() => rec.seen).toContainEqual(r);
    });

    it('hands a late subscriber the revocations already in force', async () => {
      const clock = fakeClock();
      const backend = unique('b');
      const store = await make(clock, backend);
      await store.subscribe(() => {});
      const r = revocation(clock, 'revocationKey:group-7');
      await store.revoke([r]);
      const rec = recorder();
      await store.subscribe(rec.listener);
      expect(rec.seen).toContainEqual(r);
    });

    it('makes a revocation made through one node known to the others', async (ctx) => {
      if (!opts.shared) ctx.skip();
      const clock = fakeClock();
      const backend = unique('b');
      const [a, b] = [await make(clock, backend), await make(clock, backend)];
      const rec = recorder();
      await b.subscribe(rec.listener);
      await a.subscribe(() => {});
      const r = revocation(clock, 'clientId:bob');
      await a.revoke([r]);
      await expect.poll(() => rec.seen).toContainEqual(r);
      const late = recorder();
      await (await make(clock, backend)).subscribe(late.listener);
      expect(late.seen).toContainEqual(r);
    });
  });
}
