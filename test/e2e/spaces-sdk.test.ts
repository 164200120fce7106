import { describe, expect, it } from 'vitest';
import type * as Ably from 'ably';
import Spaces, { type CursorUpdate, type Lock, type Space, type SpaceMember } from '@ably/spaces';
import { eventually, until } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/**
 * Ably's Spaces SDK (`@ably/spaces`, pinned), unmodified, on Rowcast: two members of a shared document enter the
 * space, see each other, move between slides, move their cursors and take a lock on a component, as the SDK's
 * users do. Spaces is built on presence (members, locations, locks) and a `::$cursors` channel.
 */

const { realtime, rest } = useRowcast();

/** A signed-in user: a token-authenticated client (clientId from the token request) and its Spaces. */
async function openSpace(clientId: string): Promise<Space> {
  const client = realtime({
    authCallback: (_params, done) => {
      // the app's auth server would do this: a token request signed with the key, for this user
      issuer
        .createTokenRequest({ clientId })
        .then((request) => done(null, request))
        .catch((err: Ably.ErrorInfo) => done(err, null));
    },
  });
  return new Spaces(client).get('design-review', { offlineTimeout: 1000 });
}

let issuerClient: Ably.Rest | undefined;
const issuer = {
  createTokenRequest(params: Ably.TokenParams) {
    issuerClient ??= rest({ key: 'app1.full:fullsecret' });
    return issuerClient.auth.createTokenRequest(params);
  },
};

describe('@ably/spaces against Rowcast', () => {
  let ann: Space;
  let ben: Space;

  it('two members enter the space with their profiles; each sees the other', async () => {
    ann = await openSpace('ann');
    ben = await openSpace('ben');
    const entered: SpaceMember[] = [];
    ann.members.subscribe('enter', (member) => entered.push(member));

    await ann.enter({ name: 'Ann', colour: 'teal' });
    await ben.enter({ name: 'Ben', colour: 'orange' });

    await until(() => entered.find((m) => m.clientId === 'ben'), 'ben entering, seen by ann');
    const others = await ann.members.getOthers();
    expect(others.map((m) => [m.clientId, m.profileData, m.isConnected])).toEqual([['ben', { name: 'Ben', colour: 'orange' }, true]]);
    const all = await ben.members.getAll();
    expect(all.map((m) => m.clientId).sort()).toEqual(['ann', 'ben']);
  });

  it('a member moves to another slide: the other sees the location change', async () => {
    const updates: Array<{ clientId: string; current: unknown; previous: unknown }> = [];
    ben.locations.subscribe('update', (u) => updates.push({ clientId: u.member.clientId, current: u.currentLocation, previous: u.previousLocation }));
    await ann.locations.set({ slide: 1 });
    await ann.locations.set({ slide: 3 });
    await until(() => updates.some((u) => (u.current as { slide?: number }).slide === 3), 'ann at slide 3');
    expect(updates.at(-1)).toEqual({ clientId: 'ann', current: { slide: 3 }, previous: { slide: 1 } });
    expect(await ben.locations.getAll()).toMatchObject({ [(await ann.members.getSelf())!.connectionId]: { slide: 3 } });
  });

  it("a member's cursor moves are seen by the other, in order", async () => {
    const seen: CursorUpdate[] = [];
    ben.cursors.subscribe('update', (c) => seen.push(c));
    // the SDK sends cursors once it sees someone else on its cursors channel: the mouse keeps moving until then
    await eventually(async () => {
      await ann.cursors.set({ position: { x: 0, y: 0 }, data: { colour: 'teal' } });
      await new Promise((r) => setTimeout(r, 50));
      return seen.length > 0;
    }, 'the first cursor update at ben');
    const path = [
      { x: 10, y: 10 },
      { x: 20, y: 15 },
      { x: 30, y: 25 },
    ];
    for (const position of path) await ann.cursors.set({ position, data: { colour: 'teal' } });
    await until(() => seen.some((c) => c.position.x === 30), 'ann cursor at x=30');
    const moves = seen.filter((c) => c.position.x > 0);
    expect(moves.map((c) => [c.clientId, c.position, c.data])).toEqual(path.map((p) => ['ann', p, { colour: 'teal' }]));
  });

  it('a lock taken by one member is seen locked by the other, who cannot take it until it is released', async () => {
    const benSees: Lock[] = [];
    ben.locks.subscribe('update', (lock) => benSees.push(lock));
    const taken = await ann.locks.acquire('slide-3-title', { attributes: { component: 'title' } });
    expect(taken.status).toBe('pending');
    await until(() => benSees.find((l) => l.id === 'slide-3-title' && l.status === 'locked'), 'lock held by ann, at ben');
    expect(ben.locks.get('slide-3-title')).toMatchObject({ status: 'locked', member: { clientId: 'ann' }, attributes: { component: 'title' } });

    // ben's attempt while ann holds it is invalidated
    await ben.locks.acquire('slide-3-title');
    await until(() => benSees.find((l) => l.member.clientId === 'ben' && l.status === 'unlocked'), "ben's attempt refused");
    expect(ben.locks.get('slide-3-title')?.member.clientId).toBe('ann');

    await ann.locks.release('slide-3-title');
    await until(() => !ben.locks.get('slide-3-title'), 'lock released, at ben');
    const second = await ben.locks.acquire('slide-3-title');
    expect(second.status).toBe('pending');
    await until(() => ben.locks.get('slide-3-title')?.status === 'locked', 'ben holds the lock');
  });

  it('a member who leaves is seen leaving, with its locks released', async () => {
    const left: SpaceMember[] = [];
    ann.members.subscribe('leave', (m) => left.push(m));
    await ben.leave();
    await until(() => left.find((m) => m.clientId === 'ben'), 'ben leaving, at ann');
    await eventually(async () => (await ann.members.getOthers()).length === 0, 'ben gone from the members list');
    await until(() => !ann.locks.get('slide-3-title'), "ben's lock released");
  });
});
