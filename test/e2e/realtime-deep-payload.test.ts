import { beforeAll, describe, expect, it } from 'vitest';
import { dropTransport } from '@rowcast/core/testing';
import type * as Ably from 'ably';
import { encode } from '@msgpack/msgpack';
import type { AcceptedMessage, AcceptedPresence, Broker, PresenceStore } from '@rowcast/core';
import { deepObject, rawSocket } from '../support/raw-socket.ts';
import { KEYS, until } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/**
 * Issue 16: a message no client can decode is never accepted. A publish or presence enter whose `extras` (or object
 * data) nests 150 levels deep is refused with 40000 over realtime and REST and kept nowhere; the channel then works
 * for JSON and msgpack clients alike (history, rewind, resume, presence SYNC). An undecodable event already stored
 * (by an older version) is skipped on the way out instead of failing a channel.
 */
const { server, realtime, rest } = useRowcast();
const DEEP = deepObject(150);
const FORMATS = [
  ['msgpack', true],
  ['json', false],
] as const;

async function connected(options: Ably.ClientOptions): Promise<Ably.Realtime> {
  const client = realtime(options);
  await client.connection.once('connected');
  return client;
}

/** Message names of a channel's REST history, oldest first, for a JSON or msgpack REST client. */
async function historyNames(channel: string, useBinaryProtocol: boolean): Promise<string[]> {
  const page = await rest({ key: KEYS.full, useBinaryProtocol }).channels.get(channel).history({ direction: 'forwards', limit: 100 });
  return page.items.map((m) => m.name!);
}

/** The names a fresh subscriber attaching with `rewind=10` receives as backlog (waits for `count` of them). */
async function rewindNames(channel: string, useBinaryProtocol: boolean, count: number): Promise<{ names: string[]; state: string }> {
  const client = await connected({ key: KEYS.full, useBinaryProtocol });
  const ch = client.channels.get(channel, { params: { rewind: '10' } });
  const names: string[] = [];
  await ch.subscribe((m) => void names.push(m.name!));
  await until(() => names.length >= count, `${count} rewound messages (got ${names.length})`);
  return { names, state: ch.state };
}

/** Presence members a fresh client gets through SYNC on attach. */
async function syncedMembers(channel: string, useBinaryProtocol: boolean): Promise<string[]> {
  const client = await connected({ key: KEYS.full, useBinaryProtocol });
  const ch = client.channels.get(channel);
  const members = await ch.presence.get();
  expect(ch.state).toBe('attached');
  return members.map((m) => m.clientId).sort();
}

/** Publishes `names` on `channel` as a good SDK client would. */
async function publishGood(channel: string, names: string[]): Promise<void> {
  const ch = rest({ key: KEYS.full }).channels.get(channel);
  for (const name of names) await ch.publish(name, `data of ${name}`);
}

/**
 * Subscribes to `channel`, drops the subscriber's transport, runs `whileAway` and waits for the resume to deliver
 * the last message published meanwhile; checks the connection resumed and the channel is attached, and returns the
 * names received.
 */
async function resumeAcross(channel: string, useBinaryProtocol: boolean, whileAway: () => Promise<void>): Promise<string[]> {
  const subscriber = await connected({ key: KEYS.full, useBinaryProtocol });
  const ch = subscriber.channels.get(channel);
  const names: string[] = [];
  await ch.subscribe((m) => void names.push(m.name!));
  const id = subscriber.connection.id!;
  expect(dropTransport(server().node, id)).toBe(true);
  await whileAway();
  const last = (await historyNames(channel, false)).at(-1);
  await until(() => names.includes(last!), `the messages published while away (got ${names.join()})`);
  expect(subscriber.connection.id).toBe(id);
  expect(ch.state).toBe('attached');
  return names;
}

describe('a 150-deep payload is refused and the channel keeps working', () => {
  const CHANNEL = 'deep';
  beforeAll(async () => {
    await publishGood(CHANNEL, ['good-1', 'good-2']);
    const alice = await connected({ key: KEYS.full, clientId: 'alice' });
    await alice.channels.get(CHANNEL).presence.enter('alice is here');
  });

  it.each(['json', 'msgpack'] as const)(
    'refuses a 150-deep extras publish and presence enter over realtime (%s frames) with NACK 40000',
    async (format) => {
      const sock = await rawSocket(server(), KEYS.full, format, { clientId: 'mallory' });
      await sock.next((f) => f.action === 4, 'CONNECTED');
      sock.send({ action: 15, channel: CHANNEL, msgSerial: 0, messages: [{ name: 'deep', data: 'x', extras: DEEP }] });
      sock.send({ action: 14, channel: CHANNEL, msgSerial: 1, presence: [{ action: 2, clientId: 'mallory', data: 'x', extras: DEEP }] });
      sock.send({ action: 14, channel: CHANNEL, msgSerial: 2, presence: [{ action: 2, clientId: 'mallory', data: DEEP }] });
      sock.send({ action: 15, channel: CHANNEL, msgSerial: 3, messages: [{ name: 'deep', data: DEEP }] });
      for (const serial of [0, 1, 2, 3]) {
        const nack = await sock.next((f) => f.action === 2 && f.msgSerial === serial, `NACK of msgSerial ${serial}`);
        expect(nack.error?.code).toBe(40000);
        expect(nack.error?.statusCode).toBe(400);
      }
      // The connection is fine: a good publish on it is acknowledged.
      sock.send({ action: 15, channel: CHANNEL, msgSerial: 4, messages: [{ name: 'good-raw', data: 'x' }] });
      await sock.next((f) => f.action === 1 && f.msgSerial === 4, 'ACK of the good publish');
      sock.ws.close();
    },
  );

  it.each(FORMATS)(
    'refuses a 150-deep extras publish from the SDK (%s) with 40000, leaving it connected and attached',
    async (_format, useBinaryProtocol) => {
      const client = await connected({ key: KEYS.full, useBinaryProtocol });
      const ch = client.channels.get(CHANNEL);
      await ch.attach();
      const refused = await ch.publish({ name: 'deep', data: 'x', extras: DEEP }).then(
        () => undefined,
        (err: Ably.ErrorInfo) => err,
      );
      expect(refused?.code).toBe(40000);
      expect(refused?.statusCode).toBe(400);
      expect(ch.state).toBe('attached');
      expect(client.connection.state).toBe('connected');
    },
  );

  it('refuses them over REST (JSON and msgpack bodies, batch publish, the SDK) with 400 / 40000', async () => {
    const auth = { authorization: `Basic ${Buffer.from(KEYS.full).toString('base64')}` };
    const bodies: Array<[string, BodyInit, string]> = [
      ['application/json', JSON.stringify({ name: 'deep', extras: DEEP }), 'json extras'],
      ['application/json', JSON.stringify({ name: 'deep', data: DEEP }), 'json data'],
      ['application/x-msgpack', encode({ name: 'deep', extras: DEEP }, { maxDepth: 1000 }), 'msgpack extras'],
    ];
    for (const [type, body, what] of bodies) {
      const res = await fetch(`${server().url}/channels/${CHANNEL}/messages`, { method: 'POST', headers: { ...auth, 'content-type': type }, body });
      expect(res.status, String(what)).toBe(400);
      expect(res.headers.get('x-ably-errorcode'), String(what)).toBe('40000');
    }
    const batch = await fetch(`${server().url}/messages`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify([{ channels: [CHANNEL, 'deep-other'], messages: [{ name: 'deep', extras: DEEP }] }]),
    });
    expect(batch.status).toBe(400);
    expect(batch.headers.get('x-ably-errorcode')).toBe('40000');
    for (const [, useBinaryProtocol] of FORMATS) {
      const refused = await rest({ key: KEYS.full, useBinaryProtocol })
        .channels.get(CHANNEL)
        .publish({ name: 'deep', extras: DEEP })
        .then(
          () => undefined,
          (err: Ably.ErrorInfo) => err,
        );
      expect(refused?.code).toBe(40000);
      expect(refused?.statusCode).toBe(400);
    }
    expect(await historyNames('deep-other', false)).toEqual([]);
  });

  describe.each(FORMATS)('then, for a %s client', (_format, useBinaryProtocol) => {
    it('history holds the good messages only', async () => {
      expect(await historyNames(CHANNEL, useBinaryProtocol)).toEqual(['good-1', 'good-2', 'good-raw', 'good-raw']);
      const realtimeHistory = await (await connected({ key: KEYS.full, useBinaryProtocol })).channels.get(CHANNEL).history();
      expect(realtimeHistory.items.map((m) => m.name)).not.toContain('deep');
    });

    it('rewind delivers the good messages', async () => {
      const { names, state } = await rewindNames(CHANNEL, useBinaryProtocol, 4);
      expect(names).toEqual(['good-1', 'good-2', 'good-raw', 'good-raw']);
      expect(state).toBe('attached');
    });

    it('presence SYNC and REST presence list the good member only', async () => {
      expect(await syncedMembers(CHANNEL, useBinaryProtocol)).toEqual(['alice']);
      const members = await rest({ key: KEYS.full, useBinaryProtocol }).channels.get(CHANNEL).presence.get();
      expect(members.items.map((m) => m.clientId)).toEqual(['alice']);
    });

    it('a subscriber resumes across a refused publish and gets every good message', async () => {
      const channel = `deep-resume-${_format}`;
      const names = await resumeAcross(channel, useBinaryProtocol, async () => {
        const sock = await rawSocket(server(), KEYS.full, useBinaryProtocol ? 'msgpack' : 'json');
        await sock.next((f) => f.action === 4, 'CONNECTED');
        sock.send({ action: 15, channel, msgSerial: 0, messages: [{ name: 'deep', extras: DEEP }] });
        expect((await sock.next((f) => f.action === 2, 'NACK')).error?.code).toBe(40000);
        sock.ws.close();
        await publishGood(channel, ['after-1', 'after-2']);
      });
      expect(names).toEqual(['after-1', 'after-2']);
    });
  });
});

/** The engine's ports, reached past its validation to store what an older version could have stored. */
function ports(): { broker: Broker; presence: PresenceStore } {
  return (server().node as unknown as { ctx: { broker: Broker; presence: PresenceStore } }).ctx;
}

/** Stores a 150-deep message on `channel` through the broker, as a version without the inbound checks did. */
async function storePoison(channel: string): Promise<void> {
  const now = Date.now();
  const poison: AcceptedMessage = { id: `poison-${now}:0`, name: 'poison', data: 'x', extras: DEEP, timestamp: now, serial: '' };
  await ports().broker.publish(channel, { kind: 'message', id: `poison-${now}`, timestamp: now, messages: [poison] });
}

describe('an undecodable event stored by an older version is skipped on the way out', () => {
  const CHANNEL = 'legacy';
  const live: Record<string, string[]> = { msgpack: [], json: [] };
  const liveChannels: Ably.RealtimeChannel[] = [];

  beforeAll(async () => {
    for (const [format, useBinaryProtocol] of FORMATS) {
      const ch = (await connected({ key: KEYS.full, useBinaryProtocol })).channels.get(CHANNEL);
      await ch.subscribe((m) => void live[format]!.push(m.name!));
      liveChannels.push(ch);
    }
    const bob = await connected({ key: KEYS.full, clientId: 'bob' });
    await bob.channels.get(CHANNEL).presence.enter('bob is here');
    await publishGood(CHANNEL, ['old-1']);
    await storePoison(CHANNEL);
    const now = Date.now();
    const ghost: AcceptedPresence = { id: 'ghost:0:0', action: 1, clientId: 'ghost', connectionId: 'ghost', timestamp: now, data: 'x', extras: DEEP };
    await ports().presence.apply(CHANNEL, ghost);
    await publishGood(CHANNEL, ['old-2']);
  });

  it('live subscribers of both formats stay attached and get the good messages', async () => {
    await until(() => live.msgpack!.includes('old-2') && live.json!.includes('old-2'), 'old-2 on both live subscribers');
    expect(live.msgpack).toEqual(['old-1', 'old-2']);
    expect(live.json).toEqual(['old-1', 'old-2']);
    for (const ch of liveChannels) expect(ch.state).toBe('attached');
  });

  describe.each(FORMATS)('for a %s client', (_format, useBinaryProtocol) => {
    it('REST history skips it', async () => {
      expect(await historyNames(CHANNEL, useBinaryProtocol)).toEqual(['old-1', 'old-2']);
    });

    it('rewind skips it', async () => {
      const { names, state } = await rewindNames(CHANNEL, useBinaryProtocol, 2);
      expect(names).toEqual(['old-1', 'old-2']);
      expect(state).toBe('attached');
    });

    it('presence SYNC and REST presence skip the undecodable member', async () => {
      expect(await syncedMembers(CHANNEL, useBinaryProtocol)).toEqual(['bob']);
      const members = await rest({ key: KEYS.full, useBinaryProtocol }).channels.get(CHANNEL).presence.get();
      expect(members.items.map((m) => m.clientId)).toEqual(['bob']);
    });

    it('a subscriber resumes across it', async () => {
      const channel = `legacy-resume-${_format}`;
      const names = await resumeAcross(channel, useBinaryProtocol, async () => {
        await publishGood(channel, ['before']);
        await storePoison(channel);
        await publishGood(channel, ['after']);
      });
      expect(names).toEqual(['before', 'after']);
    });
  });
});
