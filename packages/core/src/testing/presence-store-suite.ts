import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { PresenceAction } from '@rowcast/protocol';
import type { AcceptedPresence } from '../node-api.js';
import type { PresenceStore } from '../ports/presence-store.js';

export interface PresenceStoreSuiteOptions {
  /** A store; channels and connection ids in each test are unique. */
  newStore(): PresenceStore | Promise<PresenceStore>;
  cleanup?(): Promise<void>;
}

/** The guarantees of PresenceStore (ports/presence-store.ts), for every implementation. */
export function runPresenceStoreSuite(name: string, opts: PresenceStoreSuiteOptions): void {
  describe(`PresenceStore suite: ${name}`, () => {
    afterAll(async () => opts.cleanup?.());
    const unique = (p: string) => `${p}-${randomBytes(5).toString('hex')}`;
    const member = (connectionId: string, clientId: string, action: number, data?: AcceptedPresence['data']): AcceptedPresence => {
      const m: AcceptedPresence = { id: `${connectionId}:1:0`, action, clientId, connectionId, timestamp: 1_700_000_000_000 };
      if (data !== undefined) m.data = data;
      return m;
    };

    it('enter, update and leave change the set; members come back in entry order, as PRESENT', async () => {
      const store = await opts.newStore();
      const ch = unique('room');
      const [c1, c2] = [unique('c'), unique('c')];
      expect(await store.apply(ch, member(c1, 'alice', PresenceAction.ENTER, 'a1'))).toBe(true);
      expect(await store.apply(ch, member(c2, 'bob', PresenceAction.ENTER, { b: 1 }))).toBe(true);
      expect(await store.apply(ch, member(c1, 'carol', PresenceAction.ENTER))).toBe(true);
      // An update keeps the member's place.
      expect(await store.apply(ch, member(c1, 'alice', PresenceAction.UPDATE, 'a2'))).toBe(true);
      let members = await store.members(ch);
      expect(members.map((m) => [m.clientId, m.data])).toEqual([
        ['alice', 'a2'],
        ['bob', { b: 1 }],
        ['carol', undefined],
      ]);
      expect(members.every((m) => m.action === PresenceAction.PRESENT)).toBe(true);
      expect(await store.apply(ch, member(c2, 'bob', PresenceAction.LEAVE))).toBe(true);
      expect(await store.apply(ch, member(c2, 'bob', PresenceAction.LEAVE))).toBe(false);
      members = await store.members(ch);
      expect(members.map((m) => m.clientId)).toEqual(['alice', 'carol']);
      expect(await store.members(unique('empty'))).toEqual([]);
    });

    it('keys members by clientId and connectionId', async () => {
      const store = await opts.newStore();
      const ch = unique('room');
      const [c1, c2] = [unique('c'), unique('c')];
      await store.apply(ch, member(c1, 'alice', PresenceAction.ENTER, 'phone'));
      await store.apply(ch, member(c2, 'alice', PresenceAction.ENTER, 'laptop'));
      expect((await store.members(ch)).map((m) => m.data)).toEqual(['phone', 'laptop']);
      await store.apply(ch, member(c1, 'alice', PresenceAction.LEAVE));
      expect((await store.members(ch)).map((m) => [m.connectionId, m.data])).toEqual([[c2, 'laptop']]);
    });

    it('finds the members of one connection on every channel', async () => {
      const store = await opts.newStore();
      const [ch1, ch2] = [unique('room'), unique('room')];
      const [c1, c2] = [unique('c'), unique('c')];
      await store.apply(ch1, member(c1, 'alice', PresenceAction.ENTER, new Uint8Array([1, 2])));
      await store.apply(ch2, member(c1, 'alice', PresenceAction.ENTER));
      await store.apply(ch2, member(c2, 'bob', PresenceAction.ENTER));
      const mine = await store.membersOfConnection(c1);
      expect(mine.map((x) => [x.channel, x.member.clientId]).sort()).toEqual(
        [
          [ch1, 'alice'],
          [ch2, 'alice'],
        ].sort(),
      );
      expect(mine.find((x) => x.channel === ch1)!.member.data).toEqual(new Uint8Array([1, 2]));
      await store.apply(ch1, member(c1, 'alice', PresenceAction.LEAVE));
      expect((await store.membersOfConnection(c1)).map((x) => x.channel)).toEqual([ch2]);
      expect(await store.membersOfConnection(unique('nobody'))).toEqual([]);
    });
  });
}
