import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as Ably from 'ably';
import { deletePrefix, uniquePrefix } from '../../packages/broker-redis/src/testing/redis-test-support.ts';
import { clientOptions, spawnAblyClient, startRowcast, until, type TestRowcast } from '../support/rowcast.ts';

/**
 * Issue 8: a connection continues on a different node than the one it dropped from, while that node is alive.
 * An SDK process on node A is killed; a new SDK instance recovers its connection through node B: same
 * connectionId, the messages published meanwhile, and its presence member never leaves (node A, whose leave
 * delay runs out, sees that B holds the connection now).
 */
const redisUrl = inject('redisUrl');
const LEAVE_DELAY_MS = 1500;

describe.skipIf(!redisUrl)(redisUrl ? 'resume on another node' : 'cluster resume: SKIPPED, no Redis (set REDIS_URL)', () => {
  const prefix = uniquePrefix('cluster-resume');
  const nodes: TestRowcast[] = [];
  const clients: Ably.Realtime[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++)
      nodes.push(await startRowcast({ redis: { url: redisUrl, prefix }, realtime: { presenceLeaveDelayMs: LEAVE_DELAY_MS } }));
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const n of nodes) await n.close();
    await deletePrefix(redisUrl, prefix);
  });

  it('a connection dropped from node A recovers through node B with its id, missed messages and presence member', async () => {
    const [a, b] = nodes;
    const child = spawnAblyClient(a, { key: a.keys.full, clientId: 'mover', channel: 'moving', enter: 'here', subscribe: true });
    const ready = await child.waitFor((l) => l.attached === true, 'the child to attach and enter');
    const connectedLine = await child.waitFor((l) => typeof l.connected === 'string', 'the child connection id');
    const observer = new Ably.Realtime(clientOptions(b, { key: b.keys.full, clientId: 'observer' }) as Ably.ClientOptions);
    clients.push(observer);
    const room = observer.channels.get('moving');
    const events: string[] = [];
    await room.presence.subscribe((p) => void events.push(`${p.action}:${p.clientId}`));
    expect((await room.presence.get()).map((m) => m.clientId)).toEqual(['mover']);

    await child.kill();
    for (let i = 0; i < 20; i++) await room.publish('missed', String(i));

    const recovered = new Ably.Realtime(
      clientOptions(b, { key: b.keys.full, clientId: 'mover', recover: ready.recoveryKey as string }) as Ably.ClientOptions,
    );
    clients.push(recovered);
    await recovered.connection.once('connected');
    expect(recovered.connection.id).toBe(connectedLine.connected);
    expect(recovered.connection.errorReason).toBeFalsy();
    const got: string[] = [];
    await recovered.channels.get('moving').subscribe((m) => void got.push(m.data as string));
    await until(() => got.length >= 20, 'the 20 messages published while it was away');
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));

    // Node A's leave delay runs out: no leave, the member is still there, held through B.
    await new Promise((r) => setTimeout(r, LEAVE_DELAY_MS * 2));
    expect(events.filter((e) => e.startsWith('leave'))).toEqual([]);
    const members = await room.presence.get();
    expect(members.map((m) => [m.clientId, m.connectionId])).toEqual([['mover', connectedLine.connected]]);
    expect(a.node.connectionCount).toBe(0);
  });
});
