import { afterAll, beforeAll, expect, it } from 'vitest';
import * as Ably from 'ably';
import { WebSocket } from 'ws';
import type { Socket } from 'node:net';
import { clientOptions, startRowcast, until, type TestRowcast } from '../support/rowcast.ts';

/**
 * Issue 3, slow consumers: a subscriber that never reads its socket is disconnected once its send buffer is
 * full, while another subscriber on the same channel receives every message.
 */
const BUFFER = 2 * 1024 * 1024;
let server: TestRowcast;

beforeAll(async () => {
  server = await startRowcast({ realtime: { maxSendBufferBytes: BUFFER } });
});
afterAll(async () => {
  await server?.close();
});

it('disconnects a subscriber that stops reading; the other one gets every message', async () => {
  const channel = 'firehose';
  // The slow one: a raw socket that attaches, then never reads again.
  const slow = new WebSocket(`ws://127.0.0.1:${server.port}/?key=${encodeURIComponent(server.keys.full)}&format=json&v=6`);
  let attached = false;
  let slowMessages = 0;
  let slowClosed = false;
  slow.on('message', (d: Buffer) => {
    const f = JSON.parse(d.toString());
    if (f.action === 4) slow.send(JSON.stringify({ action: 10, channel }));
    if (f.action === 11) attached = true;
    if (f.action === 15) slowMessages++;
  });
  slow.on('close', () => (slowClosed = true));
  await until(() => attached, 'the slow subscriber to attach');
  const rawSocket = (slow as unknown as { _socket: Socket })._socket;
  rawSocket.pause();

  const good = new Ably.Realtime(clientOptions(server, { key: server.keys.full }) as Ably.ClientOptions);
  const received: number[] = [];
  await good.channels.get(channel).subscribe((m) => void received.push(Number(m.name)));
  const publisher = new Ably.Realtime(clientOptions(server, { key: server.keys.full, echoMessages: false }) as Ably.ClientOptions);
  const pub = publisher.channels.get(channel);
  await pub.attach();

  // 250 x 60 KB = 15 MB: more than the kernel's socket buffers and the 2 MB limit together.
  const COUNT = 250;
  const payload = 'x'.repeat(60_000);
  for (let n = 0; n < COUNT; n += 10) {
    await Promise.all(Array.from({ length: 10 }, (_, k) => pub.publish(String(n + k), payload)));
  }
  await until(() => received.length === COUNT, `the good subscriber's ${COUNT} messages (got ${received.length})`, 60_000);
  expect(received).toEqual(Array.from({ length: COUNT }, (_, i) => i));

  // Now let the slow one read what reached it: the socket ends, long before the whole stream.
  rawSocket.resume();
  await until(() => slowClosed, 'the slow subscriber to be disconnected', 30_000);
  expect(slowMessages).toBeLessThan(COUNT);
  expect(good.connection.state).toBe('connected');
  good.close();
  publisher.close();
});
