import { afterAll, beforeAll, expect, it } from 'vitest';
import * as Ably from 'ably';
import { WebSocket } from 'ws';
import { encode } from '@msgpack/msgpack';
import { prng, rawSocket } from '../support/raw-socket.ts';
import { clientOptions, startRowcast, until, type TestRowcast } from '../support/rowcast.ts';

/**
 * Issue 2: 10,000 garbage frames (random bytes, truncated JSON, wrong types, unknown actions) from raw sockets,
 * while two SDK clients exchange messages: the server stays up, answers with 4xxxx errors, and loses nothing.
 */
let server: TestRowcast;
beforeAll(async () => {
  server = await startRowcast();
});
afterAll(async () => {
  await server?.close();
});

const WRONG_TYPES: unknown[] = [
  { action: 10 },
  { action: 10, channel: 42 },
  { action: 10, channel: { a: 1 } },
  { action: 10, channel: '', params: 'x' },
  { action: 10, channel: 'g', params: { rewind: 'never' } },
  { action: 10, channel: '[?x' },
  { action: 12, channel: null },
  { action: 15 },
  { action: 15, channel: 'g', msgSerial: 'one', messages: [] },
  { action: 15, channel: 'g', msgSerial: 1.5, messages: [{}] },
  { action: 15, channel: 'g', msgSerial: 3, messages: 'hello' },
  { action: 15, channel: 'g', msgSerial: 4, messages: [null, 7] },
  { action: 15, channel: 'g', msgSerial: 5, messages: [{ name: 5, data: 'x' }] },
  { action: 15, channel: 'g', msgSerial: 6, messages: [{ data: 'x', encoding: 9 }] },
  { action: 15, channel: 'g', msgSerial: 7, messages: [{ data: '%%%', encoding: 'base64', extras: [1] }] },
  { action: 14, channel: 'g', msgSerial: 8, presence: [{ action: 99 }] },
  { action: 14, channel: 'g', msgSerial: 9, presence: [null] },
  { action: 14, channel: 'g', msgSerial: 10, presence: 'x' },
  { action: 17 },
  { action: 17, auth: 'x' },
  { action: 99 },
  { action: -1 },
  { action: 4, connectionId: 'spoof' },
  { action: 1, msgSerial: 0, count: 1 },
  { action: 16, channel: 'g', presence: [{}] },
  { action: 0, id: { nested: true } },
];

function garbageFrame(rand: () => number, i: number): string | Buffer {
  switch (i % 4) {
    case 0: {
      const bytes = Buffer.alloc(1 + Math.floor(rand() * 200));
      for (let k = 0; k < bytes.length; k++) bytes[k] = Math.floor(rand() * 256);
      return bytes;
    }
    case 1: {
      const valid = JSON.stringify({ action: 15, channel: 'g', msgSerial: i, messages: [{ name: 'n', data: 'd'.repeat(20) }] });
      return valid.slice(0, Math.floor(rand() * (valid.length - 1)));
    }
    case 2:
      return JSON.stringify(WRONG_TYPES[Math.floor(rand() * WRONG_TYPES.length)]);
    default:
      return ['null', '[]', '"str"', '12', '{"action":"15"}', '{"action":1e400}', '\u0000\u0001', '{}'][Math.floor(rand() * 8)];
  }
}

it('survives 10,000 garbage frames from one socket while two SDK clients lose nothing', async () => {
  const alice = new Ably.Realtime(clientOptions(server, { key: server.keys.full, clientId: 'alice' }) as Ably.ClientOptions);
  const bob = new Ably.Realtime(clientOptions(server, { key: server.keys.full, clientId: 'bob', useBinaryProtocol: false }) as Ably.ClientOptions);
  const received: number[] = [];
  await bob.channels.get('good').subscribe((m) => void received.push(Number(m.data)));
  await alice.channels.get('good').attach();

  const json = await rawSocket(server, server.keys.full, 'json');
  const msgpack = await rawSocket(server, server.keys.full, 'msgpack');
  const rand = prng(20261129);
  const TOTAL = 10_000;
  const COUNT = 300;
  let published = 0;
  const publishing = (async () => {
    for (let n = 0; n < COUNT; n++) {
      await alice.channels.get('good').publish('n', String(n));
      published++;
    }
  })();
  for (let i = 0; i < TOTAL; i++) {
    const frame = garbageFrame(rand, i);
    // Most garbage goes to the JSON socket; every tenth frame goes to the msgpack one, as msgpack or random bytes.
    if (i % 10 === 9) msgpack.ws.send(i % 20 === 19 ? Buffer.from(encode(WRONG_TYPES[i % WRONG_TYPES.length])) : Buffer.from(String(frame)));
    else json.ws.send(frame);
    if (i % 500 === 0) await new Promise((r) => setImmediate(r));
  }
  await publishing;
  await until(() => received.length === COUNT, `${COUNT} messages (got ${received.length})`);
  expect(received).toEqual(Array.from({ length: COUNT }, (_, n) => n));
  expect(published).toBe(COUNT);

  // Every refusal is an Ably 4xxxx error, and the garbage got answers rather than a crash.
  await until(() => json.errors.length > 1000, 'error frames for the garbage');
  expect(json.errors.every((code) => code >= 40000 && code < 50000)).toBe(true);
  expect(msgpack.errors.length).toBeGreaterThan(0);

  // The server still takes new connections and still serves the old ones.
  const carol = new Ably.Realtime(clientOptions(server, { key: server.keys.full }) as Ably.ClientOptions);
  await carol.connection.once('connected');
  expect(alice.connection.state).toBe('connected');
  expect(bob.connection.state).toBe('connected');
  for (const c of [alice, bob, carol]) c.close();
  json.ws.terminate();
  msgpack.ws.terminate();
});

it('answers frames sent before CONNECTED with refused credentials by closing, without affecting others', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/?key=app1.full:wrong&format=json&v=6`);
  const frames: Array<{ action: number; error?: { code: number } }> = [];
  ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString())));
  await new Promise((ok) => ws.once('open', ok));
  ws.send(JSON.stringify({ action: 10, channel: 'x' }));
  ws.send('garbage');
  await new Promise((ok) => ws.once('close', ok));
  expect(frames[0].action).toBe(9);
  expect(frames[0].error?.code).toBe(40101);
  expect(frames.some((f) => f.action === 11)).toBe(false);
});
