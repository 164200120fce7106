import { afterAll, beforeAll, expect, it } from 'vitest';
import * as Ably from 'ably';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import pg from 'pg';
import { WebSocket } from 'ws';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { freePort } from '../support/ports.ts';
import { clientOptions, startRowcast, until, type TestRowcast } from '../support/rowcast.ts';

/**
 * Issue 13, /metrics: a scrape during traffic shows the counters move as the traffic did: messages in and out,
 * presence, a slow consumer cut, rule deliveries, change stream rows, and the slot lag coming back to 0 once the
 * rows are confirmed. The endpoint is refused without its token.
 */
const TOKEN = 'metrics-token-0123456789';
let db: TestDatabase;
let sql: pg.Client;
let server: TestRowcast;
let hook: Server;
let hooked = 0;
const clients: Ably.Realtime[] = [];

beforeAll(async () => {
  const hookPort = await freePort();
  hook = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hooked++;
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((ok) => hook.listen(hookPort, '127.0.0.1', ok));
  db = await createTestDatabase('metrics');
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query('CREATE TABLE readings (id serial PRIMARY KEY, value int NOT NULL)');
  server = await startRowcast({
    database: { url: db.url },
    metrics: { enabled: true, bearerToken: TOKEN },
    realtime: { maxSendBufferBytes: 256 * 1024 },
    connector: {
      connector: [{ tablename: 'readings', ablychannelname: 'readings', operation: 'INSERT' }],
      slotName: `${db.name}_slot`,
      publicationName: `${db.name}_pub`,
      statsIntervalSeconds: 0.2,
    },
    rules: [{ id: 'orders-hook', channelFilter: '^orders$', target: { type: 'http', url: `http://127.0.0.1:${hookPort}/hook` } }],
  });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
  await sql?.end();
  await db?.drop();
  hook?.close();
});

type Samples = Map<string, number>;

/** Scrapes /metrics and reads the samples (`name{labels}` -> value). */
async function scrape(): Promise<Samples> {
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const samples: Samples = new Map();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** Scrapes until `check` holds for the samples (components report asynchronously). */
async function scrapeUntil(check: (s: Samples) => boolean, what: string): Promise<Samples> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const s = await scrape();
    if (check(s)) return s;
    if (Date.now() > deadline) throw new Error(`metrics never showed ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const value = (s: Samples, name: string) => s.get(name) ?? 0;

function realtime(opts: Record<string, unknown> = {}): Ably.Realtime {
  const c = new Ably.Realtime(clientOptions(server, { key: server.keys.full, ...opts }) as Ably.ClientOptions);
  clients.push(c);
  return c;
}

it('is refused without the bearer token (401) and with a wrong one (403)', async () => {
  expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
  expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer nope' } })).status).toBe(403);
});

it('counts messages, presence, rule deliveries and connections as they happen', async () => {
  const before = await scrape();
  const client = realtime({ clientId: 'alice' });
  const orders = client.channels.get('orders');
  let received = 0;
  await orders.subscribe(() => void received++);
  for (let i = 0; i < 5; i++) await orders.publish('order', { n: i });
  await until(() => received === 5, 'the 5 orders back');
  await client.channels.get('lobby').presence.enter('here');

  // A delivery counts when the target succeeded; its item leaves the queue just after (the completion travels
  // with the lane's next read, or alone when the lane runs out), so the depth is waited for too.
  const after = await scrapeUntil(
    (s) =>
      value(s, 'rowcast_rule_delivered_total{rule="orders-hook"}') >= 5 + value(before, 'rowcast_rule_delivered_total{rule="orders-hook"}') &&
      value(s, 'rowcast_rule_queue_depth{rule="orders-hook"}') === 0,
    'the 5 rule deliveries, their items out of the queue',
  );
  expect(value(after, 'rowcast_messages_in_total') - value(before, 'rowcast_messages_in_total')).toBe(5);
  expect(value(after, 'rowcast_messages_out_total') - value(before, 'rowcast_messages_out_total')).toBe(5);
  expect(value(after, 'rowcast_message_bytes_in_total')).toBeGreaterThan(value(before, 'rowcast_message_bytes_in_total'));
  expect(value(after, 'rowcast_presence_in_total') - value(before, 'rowcast_presence_in_total')).toBe(1);
  expect(value(after, 'rowcast_presence_members')).toBe(1);
  // History kept: the 5 publishes and the presence enter at least (metachannel events are history too).
  expect(value(after, 'rowcast_history_events') - value(before, 'rowcast_history_events')).toBeGreaterThanOrEqual(6);
  expect(value(after, 'rowcast_history_channels') - value(before, 'rowcast_history_channels')).toBeGreaterThanOrEqual(2);
  expect(value(after, 'rowcast_connections{state="connected"}')).toBeGreaterThanOrEqual(1);
  expect(value(after, 'rowcast_attached_channels')).toBeGreaterThanOrEqual(2);
  expect(hooked).toBeGreaterThanOrEqual(5);
  expect(
    value(after, 'rowcast_rule_delivery_latency_seconds_count{rule="orders-hook"}') -
      value(before, 'rowcast_rule_delivery_latency_seconds_count{rule="orders-hook"}'),
  ).toBe(5);
  expect(value(after, 'rowcast_rule_queue_depth{rule="orders-hook"}')).toBe(0);
  // REST requests by route and status, and the process metrics.
  const rest = new Ably.Rest(clientOptions(server, { key: server.keys.full }) as Ably.ClientOptions);
  await rest.channels.get('orders').history();
  const withRest = await scrape();
  expect(value(withRest, 'rowcast_rest_requests_total{route="/channels/:name/messages",status="200"}')).toBeGreaterThanOrEqual(1);
  expect(withRest.has('process_cpu_user_seconds_total')).toBe(true);
});

it('counts a refused publish by its code', async () => {
  const before = await scrape();
  const sub = new Ably.Realtime(clientOptions(server, { key: server.keys.sub }) as Ably.ClientOptions);
  clients.push(sub);
  await expect(sub.channels.get('room1').publish('x', 'y')).rejects.toMatchObject({ code: 40160 });
  const after = await scrape();
  expect(value(after, 'rowcast_publish_refusals_total{code="40160"}') - value(before, 'rowcast_publish_refusals_total{code="40160"}')).toBe(1);
});

it('counts a slow consumer cut', async () => {
  const before = await scrape();
  const channel = 'firehose';
  const slow = new WebSocket(`ws://127.0.0.1:${server.port}/?key=${encodeURIComponent(server.keys.full)}&format=json&v=6`);
  let attached = false;
  slow.on('message', (d: Buffer) => {
    const f = JSON.parse(d.toString());
    if (f.action === 4) slow.send(JSON.stringify({ action: 10, channel }));
    if (f.action === 11) attached = true;
  });
  slow.on('error', () => undefined);
  await until(() => attached, 'the slow subscriber to attach');
  (slow as unknown as { _socket: Socket })._socket.pause();
  const publisher = realtime({ echoMessages: false }).channels.get(channel);
  const payload = 'x'.repeat(60_000);
  // Publish until the server cuts the reader that stopped reading (its buffer is 256 KB; kernel buffers vary).
  for (let round = 0; round < 40; round++) {
    await Promise.all(Array.from({ length: 10 }, (_, k) => publisher.publish(String(k), payload)));
    if (value(await scrape(), 'rowcast_slow_consumer_disconnects_total') > value(before, 'rowcast_slow_consumer_disconnects_total')) break;
  }
  const after = await scrape();
  expect(value(after, 'rowcast_slow_consumer_disconnects_total') - value(before, 'rowcast_slow_consumer_disconnects_total')).toBe(1);
  slow.terminate();
});

it('shows change stream rows, and the slot lag back at 0 once they are confirmed', async () => {
  const before = await scrapeUntil((s) => s.has('rowcast_changestream_slot_lag_bytes'), 'the slot lag');
  expect(value(before, 'rowcast_changestream_active')).toBe(1);
  const values = Array.from({ length: 200 }, (_, i) => `(${i})`).join(',');
  await sql.query(`INSERT INTO readings (value) VALUES ${values}`);
  const flowing = await scrapeUntil(
    (s) => value(s, 'rowcast_changestream_rows_total') - value(before, 'rowcast_changestream_rows_total') === 200,
    '200 rows published',
  );
  expect(flowing.has('rowcast_changestream_confirmed_lsn_age_seconds')).toBe(true);
  await scrapeUntil((s) => s.get('rowcast_changestream_slot_lag_bytes') === 0, 'the slot lag back at 0');
});
