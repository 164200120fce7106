import { describe, expect, it } from 'vitest';
import type * as Ably from 'ably';
import { TEST_KEYS } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/**
 * Channel metadata as on Ably: enumeration of active channels (`GET /channels`, paged), and the metachannels
 * `[meta]channel.lifecycle`, `[meta]connection.lifecycle` and `[meta]log`, which need a capability naming them
 * (`[meta]*` or `[*]*`: a plain `*` does not reach them).
 */
const META = { name: 'app1.meta', secret: 'metasecret', capability: { '[*]*': ['*'] } };
const META_KEY = `${META.name}:${META.secret}`;
const FULL_KEY = 'app1.full:fullsecret';
const { realtime, rest, server } = useRowcast({ keys: [...TEST_KEYS, META] });

/** The error a promise is refused with, undefined when it succeeds. */
function refusal(promise: Promise<unknown>): Promise<Ably.ErrorInfo | undefined> {
  return promise.then(
    () => undefined,
    (e: Ably.ErrorInfo) => e,
  );
}

/** Collects the messages of a channel, with `waitFor` to await one that satisfies a predicate. */
async function watch(channel: Ably.RealtimeChannel) {
  const got: Ably.Message[] = [];
  await channel.subscribe((m) => got.push(m));
  return {
    got,
    async waitFor(test: (m: Ably.Message) => boolean): Promise<Ably.Message> {
      await expect.poll(() => got.some(test)).toBe(true);
      return got.find(test)!;
    },
  };
}

describe('GET /channels', () => {
  it('lists the active channels with a prefix, by id or as ChannelDetails, paged through Link', async () => {
    const client = realtime({ key: FULL_KEY });
    await Promise.all(['enum-c', 'enum-a', 'enum-b', 'other-enum'].map((name) => client.channels.get(name).attach()));
    const admin = rest({ key: FULL_KEY });

    const first = await admin.request('get', '/channels', 3, { prefix: 'enum-', limit: '2', by: 'id' }, null, null);
    expect(first.statusCode).toBe(200);
    expect(first.items).toEqual(['enum-a', 'enum-b']);
    expect(first.hasNext()).toBe(true);
    const second = await first.next();
    expect(second!.items).toEqual(['enum-c']);
    expect(second!.hasNext()).toBe(false);

    const details = await admin.request('get', '/channels', 3, { prefix: 'enum-a' }, null, null);
    expect(details.items).toHaveLength(1);
    expect(details.items[0].channelId).toBe('enum-a');
    expect(details.items[0].status.occupancy.metrics.connections).toBe(1);
  });

  it('lists only channels the caller has channel-metadata for', async () => {
    const client = realtime({ key: FULL_KEY });
    await client.channels.get('room-visible').attach();
    await client.channels.get('hidden-from-sub').attach();
    const res = await rest({ key: 'app1.sub:subsecret' }).request('get', '/channels', 3, { by: 'id' }, null, null);
    expect(res.items).not.toContain('hidden-from-sub');
  });
});

describe('metachannels', () => {
  it('need a capability naming them: "*" alone is refused (40160)', async () => {
    const client = realtime({ key: FULL_KEY });
    const err = await refusal(client.channels.get('[meta]channel.lifecycle').attach());
    expect(err?.code).toBe(40160);
  });

  it('[meta]channel.lifecycle announces opened, occupancy and closed with ChannelDetails', async () => {
    const watcher = realtime({ key: META_KEY });
    const lifecycle = await watch(watcher.channels.get('[meta]channel.lifecycle'));
    const client = realtime({ key: FULL_KEY });
    const channel = client.channels.get('life-x');
    await channel.attach();
    const opened = await lifecycle.waitFor((m) => m.name === 'channel.opened' && m.data.channelId === 'life-x');
    expect(opened.data.status.isActive).toBe(true);
    const occupancy = await lifecycle.waitFor((m) => m.name === 'channel.occupancy' && m.data.channelId === 'life-x');
    expect(occupancy.data.status.occupancy.metrics.connections).toBe(1);
    await channel.detach();
    const closed = await lifecycle.waitFor((m) => m.name === 'channel.closed' && m.data.channelId === 'life-x');
    expect(closed.data.status.isActive).toBe(false);
    // Publishing on a metachannel is refused, as on Ably.
    const err = await refusal(watcher.channels.get('[meta]channel.lifecycle').publish('x', 'y'));
    expect(err?.code).toBe(40160);
  });

  it('[meta]connection.lifecycle announces connections opening and closing', async () => {
    const watcher = realtime({ key: META_KEY });
    const lifecycle = await watch(watcher.channels.get('[meta]connection.lifecycle'));
    const client = realtime({ key: FULL_KEY, clientId: 'watched-one' });
    await client.connection.once('connected');
    const id = client.connection.id!;
    const opened = await lifecycle.waitFor((m) => m.name === 'connection.opened' && m.data.connectionId === id);
    expect(opened.data.clientId).toBe('watched-one');
    client.close();
    await lifecycle.waitFor((m) => m.name === 'connection.closed' && m.data.connectionId === id);
  });

  it('inband occupancy: an attachment with occupancy=metrics gets [meta]occupancy messages', async () => {
    const client = realtime({ key: FULL_KEY, clientId: 'occupant' });
    const channel = client.channels.get('occ-x', { params: { occupancy: 'metrics' } });
    const events = await watch(channel);
    await events.waitFor((m) => m.name === '[meta]occupancy' && m.data.metrics.connections === 1);
    const other = realtime({ key: FULL_KEY });
    await other.channels.get('occ-x').attach();
    const second = await events.waitFor((m) => m.name === '[meta]occupancy' && m.data.metrics.connections === 2);
    expect(second.data.metrics.subscribers).toBe(2);
    // Entering presence changes occupancy too.
    await channel.presence.enter('here');
    await events.waitFor((m) => m.name === '[meta]occupancy' && m.data.metrics.presenceMembers === 1);
  });

  it('[meta]log shows an error no client would otherwise see', async () => {
    server().node.onAccepted((event) => {
      if (event.channel === 'explodes') throw new Error('hook exploded');
    });
    const watcher = realtime({ key: META_KEY });
    const log = await watch(watcher.channels.get('[meta]log'));
    const client = realtime({ key: FULL_KEY });
    await client.channels
      .get('explodes')
      .publish('x', 'y')
      .catch(() => undefined);
    const entry = await log.waitFor((m) => m.data?.error === 'hook exploded');
    expect(entry.data.message).toBeTruthy();
  });
});
