import { describe, expect, it } from 'vitest';
import * as Ably from 'ably';
import { KEYS, until } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/** Issue 2, realtime pub/sub with the unmodified SDK, in both wire formats. */
const { server, realtime, rest } = useRowcast();

describe.each([
  ['msgpack', true],
  ['json', false],
])('realtime pub/sub (%s)', (format, useBinaryProtocol) => {
  async function connect(options: Ably.ClientOptions): Promise<Ably.Realtime> {
    const client = realtime({ useBinaryProtocol, ...options });
    await client.connection.once('connected');
    return client;
  }

  it('delivers between two clients with ids, clientId, connectionId, timestamps and serials', async () => {
    const alice = await connect({ key: KEYS.full, clientId: 'alice' });
    const bob = await connect({ key: KEYS.full, clientId: 'bob' });
    const channel = `pubsub-${format}`;
    const received: Ably.InboundMessage[] = [];
    await bob.channels.get(channel).subscribe((m) => void received.push(m));

    const result = await alice.channels.get(channel).publish('greeting', 'hello');
    expect(result?.serials).toHaveLength(1);
    expect(typeof result?.serials[0]).toBe('string');

    const [m] = await until(() => received.length === 1 && received, 'the message');
    expect(m.name).toBe('greeting');
    expect(m.data).toBe('hello');
    expect(m.clientId).toBe('alice');
    expect(m.connectionId).toBe(alice.connection.id);
    expect(m.id).toBe(`${alice.connection.id}:0:0`);
    expect(m.serial).toBe(result?.serials[0]);
    expect(typeof m.timestamp).toBe('number');
  });

  it('answers connection.ping() (HEARTBEAT with its id)', async () => {
    const c = await connect({ key: KEYS.full });
    expect(typeof (await c.connection.ping())).toBe('number');
  });

  it('round-trips strings, objects, arrays and binary with their types', async () => {
    const pub = await connect({ key: KEYS.full });
    const sub = await connect({ key: KEYS.full });
    const channel = `types-${format}`;
    const received: Ably.InboundMessage[] = [];
    await sub.channels.get(channel).subscribe((m) => void received.push(m));
    const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
    const ch = pub.channels.get(channel);
    await ch.publish('string', 'ünïcødé ✓');
    await ch.publish('object', { a: 1, nested: { b: [true, null] } });
    await ch.publish('array', [1, 'two', { three: 3 }]);
    await ch.publish('binary', bytes);
    await until(() => received.length === 4, 'four messages');
    const byName = Object.fromEntries(received.map((m) => [m.name, m.data]));
    expect(byName.string).toBe('ünïcødé ✓');
    expect(byName.object).toEqual({ a: 1, nested: { b: [true, null] } });
    expect(byName.array).toEqual([1, 'two', { three: 3 }]);
    expect(Buffer.isBuffer(byName.binary) || byName.binary instanceof ArrayBuffer || byName.binary instanceof Uint8Array).toBe(true);
    expect(new Uint8Array(byName.binary)).toEqual(bytes);
  });

  it('honours echoMessages:false for the publisher only', async () => {
    const quiet = await connect({ key: KEYS.full, echoMessages: false });
    const other = await connect({ key: KEYS.full });
    const channel = `echo-${format}`;
    const own: string[] = [];
    const others: string[] = [];
    await quiet.channels.get(channel).subscribe((m) => void own.push(m.name!));
    await other.channels.get(channel).subscribe((m) => void others.push(m.name!));
    await quiet.channels.get(channel).publish('from-quiet', 'q');
    await other.channels.get(channel).publish('from-other', 'o');
    await until(() => others.length === 2 && own.length === 1, 'deliveries');
    // The marker published after the first message proves the own message would have arrived by now.
    expect(own).toEqual(['from-other']);
    expect(others.sort()).toEqual(['from-other', 'from-quiet']);
  });

  it('publishes several messages in one call, acknowledged with one serial each, in order', async () => {
    const pub = await connect({ key: KEYS.full });
    const channel = `batch-${format}`;
    const received: string[] = [];
    await pub.channels.get(channel).subscribe((m) => void received.push(m.name!));
    const result = await pub.channels.get(channel).publish([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    expect(result?.serials).toHaveLength(3);
    expect([...result!.serials].sort()).toEqual(result!.serials);
    await until(() => received.length === 3, 'three messages');
    expect(received).toEqual(['a', 'b', 'c']);
  });

  it('refuses a message over maxMessageSize with 40009 and keeps the connection', async () => {
    const pub = await connect({ key: KEYS.full });
    const channel = pub.channels.get(`big-${format}`);
    await channel.attach();
    const err = await channel.publish('big', 'x'.repeat(70_000)).catch((e: Ably.ErrorInfo) => e);
    expect((err as Ably.ErrorInfo).code).toBe(40009);
    expect(pub.connection.state).toBe('connected');
    await expect(channel.publish('small', 'ok')).resolves.toBeDefined();
  });

  it('refuses a clientId the connection may not use with 40012', async () => {
    const tokenClient = rest({ key: KEYS.full, useBinaryProtocol });
    const token = await tokenClient.auth.requestToken({ clientId: 'carol' });
    const carol = await connect({ token: token.token, clientId: 'carol' });
    const ch = carol.channels.get(`clientid-${format}`);
    const err = await ch.publish({ name: 'x', clientId: 'mallory' }).catch((e: Ably.ErrorInfo) => e);
    expect((err as Ably.ErrorInfo).code).toBe(40012);
  });

  it('applies capabilities: a subscribe-only key cannot publish (40160) nor attach outside room* (40160)', async () => {
    const sub = await connect({ key: KEYS.sub, clientId: 'sub-user' });
    const full = await connect({ key: KEYS.full });
    const room = sub.channels.get(`room-${format}`);
    const received: string[] = [];
    await room.subscribe((m) => void received.push(m.name!));
    const err = await room.publish('nope', 'x').catch((e: Ably.ErrorInfo) => e);
    expect((err as Ably.ErrorInfo).code).toBe(40160);

    const outside = sub.channels.get(`lobby-${format}`);
    const attachErr = await outside.attach().catch((e: Ably.ErrorInfo) => e);
    expect((attachErr as Ably.ErrorInfo).code).toBe(40160);
    expect(outside.state).toBe('failed');
    expect(sub.connection.state).toBe('connected');

    await full.channels.get(`room-${format}`).publish('allowed', 'y');
    await until(() => received.length === 1, 'the message from the full key');
    expect(received).toEqual(['allowed']);
  });

  it('rejects an invalid channel name on attach with 40010', async () => {
    const c = await connect({ key: KEYS.full });
    const err = await c.channels
      .get(':bad')
      .attach()
      .catch((e: Ably.ErrorInfo) => e);
    expect((err as Ably.ErrorInfo).code).toBe(40010);
    expect(c.connection.state).toBe('connected');
  });

  it('stops delivering after detach and resumes after a new attach; occupancy follows', async () => {
    const pub = await connect({ key: KEYS.full });
    const sub = await connect({ key: KEYS.full });
    const name = `detach-${format}`;
    const received: string[] = [];
    const ch = sub.channels.get(name);
    await ch.subscribe((m) => void received.push(String(m.data)));
    const statusClient = rest({ key: KEYS.full, useBinaryProtocol });
    expect((await statusClient.channels.get(name).status()).status.occupancy.metrics.subscribers).toBe(1);
    await pub.channels.get(name).publish('m', 'one');
    await until(() => received.includes('one'), 'the first message');
    await ch.detach();
    expect((await statusClient.channels.get(name).status()).status.occupancy.metrics.subscribers).toBe(0);
    await pub.channels.get(name).publish('m', 'while-detached');
    await ch.attach();
    await pub.channels.get(name).publish('m', 'two');
    await until(() => received.includes('two'), 'the message after re-attach');
    expect(received).toEqual(['one', 'two']);
  });

  it('delivers an Ably.Rest publish and a batch publish to a realtime subscriber', async () => {
    const sub = await connect({ key: KEYS.full });
    const channel = `rest-${format}`;
    const received: Ably.InboundMessage[] = [];
    await sub.channels.get(channel).subscribe((m) => void received.push(m));
    const publisher = rest({ key: KEYS.full, useBinaryProtocol });
    await publisher.channels.get(channel).publish('via-rest', { n: 1 });
    await publisher.batchPublish({ channels: [channel], messages: [{ name: 'via-batch', data: 'b' }] });
    await until(() => received.length === 2, 'two REST messages');
    expect(received.map((m) => [m.name, m.data])).toEqual([
      ['via-rest', { n: 1 }],
      ['via-batch', 'b'],
    ]);
  });
});

describe('across wire formats', () => {
  it('binary, object and string data published over JSON arrive typed over msgpack, and back', async () => {
    const json = realtime({ key: KEYS.full, useBinaryProtocol: false });
    const msgpack = realtime({ key: KEYS.full, useBinaryProtocol: true });
    const channel = 'cross-format';
    const atJson: Ably.InboundMessage[] = [];
    const atMsgpack: Ably.InboundMessage[] = [];
    await json.channels.get(channel).subscribe((m) => void atJson.push(m));
    await msgpack.channels.get(channel).subscribe((m) => void atMsgpack.push(m));
    const bytes = new Uint8Array([9, 8, 7, 0, 255]);
    await json.channels.get(channel).publish('bin-from-json', bytes);
    await msgpack.channels.get(channel).publish('bin-from-msgpack', bytes);
    await json.channels.get(channel).publish('obj-from-json', { k: ['v'] });
    await msgpack.channels.get(channel).publish('str-from-msgpack', 'plain');
    await until(() => atJson.length === 4 && atMsgpack.length === 4, 'four messages on each side');
    for (const side of [atJson, atMsgpack]) {
      const byName = Object.fromEntries(side.map((m) => [m.name, m.data]));
      expect(new Uint8Array(byName['bin-from-json'])).toEqual(bytes);
      expect(new Uint8Array(byName['bin-from-msgpack'])).toEqual(bytes);
      expect(byName['obj-from-json']).toEqual({ k: ['v'] });
      expect(byName['str-from-msgpack']).toBe('plain');
    }
  });
});
