import { describe, expect, it } from 'vitest';
import { dropTransport } from '@rowcast/core/testing';
import type * as Ably from 'ably';
import { KEYS, spawnAblyClient, until } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/**
 * Issue 3, continuity: a subscriber whose transport is cut while 500 messages are published gets all 500, in
 * order, once: after a resume, after a failed resume (replay through channelSerial), and after `recover` from a
 * new process.
 */
const COUNT = 500;
const { server, realtime } = useRowcast();

describe.each([
  ['msgpack', true],
  ['json', false],
])('resume and recover (%s)', (format, useBinaryProtocol) => {
  async function connect(options: Ably.ClientOptions): Promise<Ably.Realtime> {
    const client = realtime({ useBinaryProtocol, ...options });
    await client.connection.once('connected');
    return client;
  }

  /** Publishes 0..COUNT-1 in batches of 10 concurrent publishes; runs `midway` after the first fifth. */
  async function publishAll(publisher: Ably.Realtime, channel: string, midway: () => void): Promise<void> {
    const ch = publisher.channels.get(channel);
    for (let n = 0; n < COUNT; n += 10) {
      if (n === 100) midway();
      await Promise.all(Array.from({ length: 10 }, (_, k) => ch.publish('n', String(n + k))));
    }
  }

  function expectAllInOrder(received: number[]): void {
    expect(received).toHaveLength(COUNT);
    expect(received).toEqual(Array.from({ length: COUNT }, (_, i) => i));
  }

  it('resumes with the same connectionId and replays what it missed (RESUMED)', async () => {
    const channel = `resume-ok-${format}`;
    const publisher = await connect({ key: KEYS.full });
    const subscriber = await connect({ key: KEYS.full });
    const received: number[] = [];
    const ch = subscriber.channels.get(channel);
    await ch.subscribe((m) => void received.push(Number(m.data)));
    const resumedFlags: boolean[] = [];
    ch.on('attached', (change) => void resumedFlags.push(change.resumed));
    const id = subscriber.connection.id;
    let dropped = false;
    await publishAll(publisher, channel, () => (dropped = dropTransport(server().node, id!)));
    expect(dropped).toBe(true);
    await until(() => received.length >= COUNT, `${COUNT} messages (got ${received.length})`);
    expectAllInOrder(received);
    expect(subscriber.connection.id).toBe(id);
    expect(resumedFlags).toContain(true);
  });

  it('after a failed resume (80008) replays the gap through the channelSerial', async () => {
    const channel = `resume-failed-${format}`;
    const publisher = await connect({ key: KEYS.full });
    const subscriber = await connect({ key: KEYS.full });
    const received: number[] = [];
    await subscriber.channels.get(channel).subscribe((m) => void received.push(Number(m.data)));
    const id = subscriber.connection.id;
    const reconnected = new Promise<Ably.ConnectionStateChange>((ok) =>
      subscriber.connection.on('connected', (change) => change.reason && ok(change)),
    );
    await publishAll(publisher, channel, () => void dropTransport(server().node, id!, { discardState: true }));
    const change = await reconnected;
    expect(change.reason?.code).toBe(80008);
    expect(subscriber.connection.id).not.toBe(id);
    await until(() => received.length >= COUNT, `${COUNT} messages (got ${received.length})`);
    expectAllInOrder(received);
  });

  it('recovers a connection from a new process with `recover` and gets the rest', async () => {
    const channel = `recover-${format}`;
    const publisher = await connect({ key: KEYS.full });
    const first = spawnAblyClient(server(), { key: KEYS.full, channel, subscribe: true, useBinaryProtocol });
    await first.waitFor((l) => l.attached === true, 'the first process to subscribe');
    const ch = publisher.channels.get(channel);
    for (let n = 0; n < 100; n++) await ch.publish('n', String(n));
    const last = await first.waitFor((l) => l.message === '99', 'message 99 in the first process');
    await first.kill();
    for (let n = 100; n < COUNT; n++) await ch.publish('n', String(n));

    const firstGot = first.lines.filter((l) => 'message' in l).map((l) => Number(l.message));
    const recoveryKey = String(last.recoveryKey);
    expect(JSON.parse(recoveryKey).msgSerial).toBeTypeOf('number');
    const second = realtime({ key: KEYS.full, useBinaryProtocol, recover: recoveryKey });
    const received: number[] = [];
    await second.channels.get(channel).subscribe((m) => void received.push(Number(m.data)));
    await until(() => received.length >= COUNT - 100, `the remaining messages (got ${received.length})`);
    expect(second.connection.errorReason).toBeFalsy();
    expectAllInOrder([...firstGot, ...received]);
  });
});

it('a message re-sent after a resume with the same msgSerial is acknowledged again, not published twice', async () => {
  const channel = 'resend-after-resume';
  const watcher = realtime({ key: KEYS.full });
  const seen: string[] = [];
  await watcher.channels.get(channel).subscribe((m) => void seen.push(String(m.data)));

  const { WebSocket } = await import('ws');
  const open = (query: string) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server().port}/?key=${encodeURIComponent(KEYS.full)}&format=json&v=6${query}`);
    const frames: Array<Record<string, any>> = [];
    ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString())));
    return { ws, frames };
  };
  const publish = (ws: InstanceType<typeof WebSocket>, msgSerial: number, data: string) =>
    ws.send(JSON.stringify({ action: 15, channel, msgSerial, messages: [{ name: 'm', data }] }));

  const first = open('');
  const connected = await until(() => first.frames.find((f) => f.action === 4), 'CONNECTED');
  publish(first.ws, 0, 'once');
  const ack = await until(() => first.frames.find((f) => f.action === 1), 'the ACK');
  first.ws.terminate();

  const second = open(`&resume=${encodeURIComponent(connected.connectionKey)}`);
  const resumed = await until(() => second.frames.find((f) => f.action === 4), 'CONNECTED after resume');
  expect(resumed.connectionId).toBe(connected.connectionId);
  expect(resumed.error).toBeUndefined();
  publish(second.ws, 0, 'once'); // the SDK re-sends what it has no ACK for
  publish(second.ws, 1, 'marker');
  // One ACK may cover both msgSerials; expand them to one result per msgSerial.
  const results = () =>
    second.frames.filter((f) => f.action === 1).flatMap((f) => f.res.map((r: { serials: string[] }, i: number) => [f.msgSerial + i, r.serials]));
  await until(() => results().length === 2, 'ACKs for msgSerial 0 and 1');
  expect(new Map(results()).get(0)).toEqual(ack.res[0].serials);
  await until(() => seen.includes('marker'), 'the marker');
  expect(seen).toEqual(['once', 'marker']);
  second.ws.close();
});
