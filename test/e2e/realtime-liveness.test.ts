import { afterAll, beforeAll, expect, it } from 'vitest';
import * as Ably from 'ably';
import { WebSocket } from 'ws';
import { clientOptions, startRowcast, until, type TestRowcast } from '../support/rowcast.ts';

/** Issue 3, liveness: HEARTBEAT frames for `heartbeats=true`, pings otherwise, and dead peers cleaned up. */
const IDLE_MS = 400;
let server: TestRowcast;

beforeAll(async () => {
  server = await startRowcast({ realtime: { maxIdleIntervalMs: IDLE_MS, connectionStateTtlMs: 1000, presenceLeaveDelayMs: 200 } });
});
afterAll(async () => {
  await server?.close();
});

function raw(query: string, opts: { autoPong?: boolean } = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/?key=${encodeURIComponent(server.keys.full)}&format=json&v=6&${query}`, opts);
  const frames: Array<{ action: number; connectionDetails?: { maxIdleInterval: number }; connectionId?: string }> = [];
  let pings = 0;
  let closed = false;
  ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString())));
  ws.on('ping', () => pings++);
  ws.on('close', () => (closed = true));
  return { ws, frames, pings: () => pings, closed: () => closed };
}

it('sends HEARTBEAT frames within maxIdleInterval to heartbeats=true clients', async () => {
  const c = raw('heartbeats=true');
  await until(() => c.frames.find((f) => f.action === 4), 'CONNECTED');
  expect(c.frames[0].connectionDetails?.maxIdleInterval).toBe(IDLE_MS);
  await until(() => c.frames.filter((f) => f.action === 0).length >= 3, 'three HEARTBEATs');
  c.ws.close();
});

it('pings heartbeats=false clients at the transport level instead', async () => {
  const c = raw('heartbeats=false');
  await until(() => c.pings() >= 2, 'two pings');
  expect(c.frames.filter((f) => f.action === 0)).toHaveLength(0);
  c.ws.close();
});

it('drops a peer that stops answering pings and forgets its connection', async () => {
  const before = server.node.connectionCount;
  const dead = raw('heartbeats=false', { autoPong: false });
  await until(() => dead.frames.find((f) => f.action === 4), 'CONNECTED');
  expect(server.node.connectionCount).toBe(before + 1);
  await until(() => dead.closed(), 'the server to close the silent socket');
  // After connectionStateTtl nobody resumed it: the state is gone.
  await until(() => server.node.connectionCount === before, 'the connection state to be discarded');
});

it('keeps an SDK client with protocol heartbeats connected across many idle intervals', async () => {
  const client = new Ably.Realtime(
    clientOptions(server, {
      key: server.keys.full,
      transportParams: { heartbeats: 'true' },
      useBinaryProtocol: false,
      // Makes the SDK's idle timeout maxIdleInterval + 1500 ms + 100 ms (2 s), so a silent server would be noticed
      // within the 4 s the test stays idle, while a loaded machine does not time out attaches.
      realtimeRequestTimeout: 1500,
    }) as Ably.ClientOptions,
  );
  await client.connection.once('connected');
  const id = client.connection.id;
  const states: string[] = [];
  client.connection.on((change) => void states.push(change.current));
  const started = Date.now();
  const received: string[] = [];
  await client.channels.get('idle').subscribe((m) => void received.push(String(m.data)));
  // Idle for several maxIdleIntervals (the SDK would disconnect after maxIdleInterval + realtimeRequestTimeout).
  await until(() => Date.now() - started > IDLE_MS * 10 && 'idle long enough', 'time to pass');
  await client.channels.get('idle').publish('x', 'still here');
  await until(() => received.includes('still here'), 'the message');
  expect(states).toEqual([]);
  expect(client.connection.id).toBe(id);
  client.close();
});
