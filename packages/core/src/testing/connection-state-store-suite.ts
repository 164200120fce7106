import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { ConnectionStateStore, ResumableConnection } from '../ports/connection-state-store.js';
import { fakeClock, type FakeClock } from './fake-clock.js';

export interface ConnectionStateStoreSuiteOptions {
  /** A store; stores made with the same `backend` share state (nodes of one cluster). */
  newStore(opts: { clock: FakeClock; backend: string }): ConnectionStateStore | Promise<ConnectionStateStore>;
  /** Whether several stores can share one backend. */
  shared: boolean;
  /** Expiry follows real time (Redis) rather than the fake clock. */
  realTimeExpiry: boolean;
  cleanup?(): Promise<void>;
}

/** The guarantees of ConnectionStateStore (ports/connection-state-store.ts), for every implementation. */
export function runConnectionStateStoreSuite(name: string, opts: ConnectionStateStoreSuiteOptions): void {
  describe(`ConnectionStateStore suite: ${name}`, () => {
    afterAll(async () => opts.cleanup?.());
    const unique = (p: string) => `${p}${randomBytes(5).toString('hex')}`;
    const state = (over: Partial<ResumableConnection> = {}): ResumableConnection => {
      const connectionId = unique('c');
      return {
        connectionId,
        key: `${connectionId}!${unique('k')}`,
        clientId: 'alice',
        format: 'msgpack',
        presenceChannels: ['room'],
        nodeId: 'node-a',
        ...over,
      };
    };

    it('gives a saved state to one claim of its current key, then the key is spent', async () => {
      const store = await opts.newStore({ clock: fakeClock(), backend: unique('b') });
      const s = state();
      await store.save(s, 60_000);
      expect(await store.holder(s.connectionId)).toBe('node-a');
      expect(await store.claim(s.key)).toEqual(s);
      expect(await store.claim(s.key)).toBeUndefined();
      expect(await store.claim(unique('nokey'))).toBeUndefined();
    });

    it('answers only the newest key after a re-save (a resume issued a new one)', async () => {
      const store = await opts.newStore({ clock: fakeClock(), backend: unique('b') });
      const s = state();
      await store.save(s, 60_000);
      const moved = { ...s, key: `${s.connectionId}!${unique('k')}`, nodeId: 'node-b' };
      await store.save(moved, 60_000);
      expect(await store.claim(s.key)).toBeUndefined();
      expect(await store.holder(s.connectionId)).toBe('node-b');
      expect((await store.claim(moved.key))?.nodeId).toBe('node-b');
    });

    it('forgets removed and expired connections', async () => {
      const clock = fakeClock();
      const store = await opts.newStore({ clock, backend: unique('b') });
      const removed = state();
      await store.save(removed, 60_000);
      await store.remove(removed.connectionId);
      expect(await store.holder(removed.connectionId)).toBeUndefined();
      expect(await store.claim(removed.key)).toBeUndefined();
      const expiring = state();
      await store.save(expiring, 200);
      clock.advance(300);
      if (opts.realTimeExpiry) await new Promise((r) => setTimeout(r, 300));
      expect(await store.holder(expiring.connectionId)).toBeUndefined();
      expect(await store.claim(expiring.key)).toBeUndefined();
    });

    it('lets exactly one of several nodes claim a key', async (ctx) => {
      if (!opts.shared) ctx.skip();
      const backend = unique('b');
      const clock = fakeClock();
      const stores = await Promise.all([0, 1, 2].map(() => opts.newStore({ clock, backend })));
      const states = Array.from({ length: 20 }, () => state());
      for (const s of states) await stores[0].save(s, 60_000);
      for (const s of states) {
        const claims = await Promise.all(stores.map((st) => st.claim(s.key)));
        expect(claims.filter(Boolean)).toHaveLength(1);
      }
    });
  });
}
