import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { KEYS, until } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/**
 * Issue 11, item 1: a frame Rowcast refuses never fails the connection. An ANNOTATION (the SDK's
 * `channel.annotations.publish`) on a message the channel does not have is refused with a NACK (40400); a
 * client-sent SYNC (the SDK's `channel.sync()`) is answered with the members. The connection, its other channels
 * and its publishes in flight go on.
 */
const { server, realtime } = useRowcast();

describe.each([
  ['msgpack', true],
  ['json', false],
])('unsupported client actions (%s)', (format, useBinaryProtocol) => {
  it('an annotation on an unknown message, published on a busy connection, is refused with 40400; the connection and its channels keep working', async () => {
    const client = realtime({ key: KEYS.full, useBinaryProtocol });
    const watcher = realtime({ key: KEYS.full, useBinaryProtocol });
    const names = [`annot-a-${format}`, `annot-b-${format}`];
    const seen = new Map<string, string[]>(names.map((n) => [n, []]));
    for (const n of names) await watcher.channels.get(n).subscribe((m) => void seen.get(n)!.push(String(m.data)));
    const [a, b] = names.map((n) => client.channels.get(n));
    const ownCopies: string[] = [];
    await a.attach();
    await b.subscribe((m) => void ownCopies.push(String(m.data)));
    const connectionStates: string[] = [];
    client.connection.on((change) => void connectionStates.push(change.current));

    // Publishes on both channels are in flight on either side of the annotation.
    const before = Array.from({ length: 20 }, (_, i) => [a.publish('n', `a${i}`), b.publish('n', `b${i}`)]).flat();
    const annotation = a.annotations.publish('01726232498871-001@abcdefghij:001', { type: 'reaction:total.v1', name: 'like' });
    const after = Array.from({ length: 20 }, (_, i) => [a.publish('n', `a${20 + i}`), b.publish('n', `b${20 + i}`)]).flat();

    await expect(annotation).rejects.toMatchObject({ code: 40400, statusCode: 404 });
    await Promise.all([...before, ...after]);
    const expected = (p: string) => Array.from({ length: 40 }, (_, i) => `${p}${i}`);
    await until(() => seen.get(names[0])!.length === 40 && seen.get(names[1])!.length === 40, 'every message at the watcher');
    expect(seen.get(names[0])).toEqual(expected('a'));
    expect(seen.get(names[1])).toEqual(expected('b'));
    await until(() => ownCopies.length === 40, 'the echo of channel b');
    expect(ownCopies).toEqual(expected('b'));
    expect(connectionStates).toEqual([]);
    expect(client.connection.state).toBe('connected');
    expect([a.state, b.state]).toEqual(['attached', 'attached']);
  });
});

it('a client-sent SYNC is answered with the members, and the connection, its other channel and its publishes go on', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${server().port}/?key=${encodeURIComponent(KEYS.full)}&clientId=raw&format=json&v=6`);
  const frames: Array<Record<string, any>> = [];
  ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString())));
  let closed = false;
  ws.on('close', () => (closed = true));
  await until(() => frames.find((f) => f.action === 4), 'CONNECTED');
  ws.send(JSON.stringify({ action: 10, channel: 'sync-one' }));
  ws.send(JSON.stringify({ action: 10, channel: 'sync-two' }));
  await until(() => frames.filter((f) => f.action === 11).length === 2, 'both ATTACHED');

  const publish = (channel: string, msgSerial: number) =>
    ws.send(JSON.stringify({ action: 15, channel, msgSerial, messages: [{ name: 'n', data: String(msgSerial) }] }));
  publish('sync-two', 0);
  ws.send(JSON.stringify({ action: 14, channel: 'sync-one', msgSerial: 1, presence: [{ action: 2, data: 'here' }] }));
  await until(() => frames.filter((f) => f.action === 1).reduce((n, f) => n + f.count, 0) === 2, 'ACKs of the publish and the enter');
  const beforeSync = frames.length;
  ws.send(JSON.stringify({ action: 16, channel: 'sync-one' }));
  publish('sync-two', 2);

  const sync = await until(() => frames.slice(beforeSync).find((f) => f.action === 16), 'the SYNC answer');
  expect(sync.channel).toBe('sync-one');
  expect(sync.channelSerial).toMatch(/:$/); // a single, last page
  expect(sync.presence.map((p: { action: number; clientId: string; data: string }) => [p.action, p.clientId, p.data])).toEqual([[1, 'raw', 'here']]);
  await until(() => frames.filter((f) => f.action === 15 && f.channel === 'sync-two').length === 2, 'both messages back on sync-two');
  const acked = frames.filter((f) => f.action === 1).reduce((n, f) => n + f.count, 0);
  expect(acked).toBe(3);
  expect(frames.filter((f) => f.action === 2 || f.action === 9)).toEqual([]);
  expect(closed).toBe(false);
  ws.close();
});

it('server-only actions sent by a client (ACK, CONNECTED) are ignored; an unserved one on a channel fails only that channel', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${server().port}/?key=${encodeURIComponent(KEYS.full)}&format=json&v=6`);
  const frames: Array<Record<string, any>> = [];
  ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString())));
  await until(() => frames.find((f) => f.action === 4), 'CONNECTED');
  ws.send(JSON.stringify({ action: 1, msgSerial: 0, count: 1 }));
  ws.send(JSON.stringify({ action: 4, connectionId: 'spoof' }));
  ws.send(JSON.stringify({ action: 15, channel: 'server-only', msgSerial: 0, messages: [{ data: 'real' }] }));
  await until(() => frames.find((f) => f.action === 1), 'the ACK of the real publish');
  expect(frames.filter((f) => f.action === 9 || f.action === 2)).toEqual([]);

  // An action Rowcast does not serve, on a channel and without a msgSerial, fails that channel only.
  ws.send(JSON.stringify({ action: 20, channel: 'objects-here' }));
  ws.send(JSON.stringify({ action: 15, channel: 'server-only', msgSerial: 1, messages: [{ data: 'still' }] }));
  const error = await until(() => frames.find((f) => f.action === 9), 'the channel ERROR');
  expect(error).toMatchObject({ channel: 'objects-here', error: { code: 40000 } });
  await until(() => frames.filter((f) => f.action === 1).length === 2, 'the ACK of the publish after it');
  ws.close();
});
