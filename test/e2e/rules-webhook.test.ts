import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import * as Ably from 'ably';
import pg from 'pg';
import { startRowcast, type TestRowcast } from '../support/rowcast.ts';
import { freePort } from '../support/ports.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * Webhook rules with the unmodified SDK as publisher and a local HTTP server as the endpoint: the test verifies
 * the envelope and the signature exactly as an Ably webhook receiver would, the non-enveloped form, and that a
 * non-2xx answer is retried without reordering the channel.
 */

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let hookServer: Server;
let hookUrl: string;
const received: Received[] = [];
/** Answers per path: a queue of status codes to return before answering 200. */
const failuresToServe = new Map<string, number[]>();

let db: TestDatabase;
let rowcast: TestRowcast;
let client: Ably.Realtime;

beforeAll(async () => {
  const port = await freePort();
  hookServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const planned = failuresToServe.get(path);
      const status = planned?.length ? planned.shift()! : 200;
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(status).end(status === 200 ? 'ok' : 'try again');
    });
  });
  await new Promise<void>((ok) => hookServer.listen(port, '127.0.0.1', ok));
  hookUrl = `http://127.0.0.1:${port}`;

  db = await createTestDatabase('rules_webhook');
  rowcast = await startRowcast({
    database: { url: db.url },
    rules: [
      {
        id: 'audit',
        channelFilter: '^orders:.*',
        source: 'channel.message',
        target: { type: 'http', url: `${hookUrl}/hook`, signingKey: 'app1.full', headers: { 'x-tenant': 'acme' } },
      },
      {
        id: 'bare',
        channelFilter: '^sensor:',
        enveloped: false,
        target: { type: 'http', url: `${hookUrl}/bare`, signingKey: 'app1.full' },
      },
      {
        id: 'flaky-hook',
        channelFilter: '^flaky$',
        target: { type: 'http', url: `${hookUrl}/flaky` },
        retry: { attempts: 5, backoffBaseMs: 20, backoffMaxMs: 100 },
      },
      {
        id: 'presence-hook',
        channelFilter: '^lobby$',
        source: 'channel.presence',
        target: { type: 'http', url: `${hookUrl}/presence` },
      },
    ],
  });
  client = new Ably.Realtime({ key: rowcast.keys.full, clientId: 'alice', endpoint: '127.0.0.1', port: rowcast.port, tls: false });
});

afterAll(async () => {
  client?.close();
  await rowcast?.close();
  await new Promise((ok) => hookServer?.close(ok));
  await db?.drop();
});

async function requestsTo(path: string, count: number): Promise<Received[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const got = received.filter((r) => r.path === path);
    if (got.length >= count) return got;
    if (Date.now() > deadline) throw new Error(`only ${got.length} of ${count} requests reached ${path}`);
    await new Promise((ok) => setTimeout(ok, 25));
  }
}

/** What an Ably webhook receiver does: HMAC-SHA256 of the raw body with the secret of the key named in X-Ably-Key. */
function verifySignature(request: Received): boolean {
  const secrets: Record<string, string> = { 'app1.full': 'fullsecret' };
  const secret = secrets[String(request.headers['x-ably-key'])];
  if (!secret) return false;
  const expected = createHmac('sha256', secret).update(request.body).digest('base64');
  return request.headers['x-ably-signature'] === expected;
}

describe('webhook rules', () => {
  it('POSTs Ably envelopes, signed with the key secret, with the configured headers', async () => {
    const seen: Ably.Message[] = [];
    const channel = client.channels.get('orders:42');
    await channel.subscribe((m) => void seen.push(m));
    await channel.publish('created', { item: 'book', qty: 2 });
    await channel.publish('note', 'plain text');
    await channel.publish('blob', Buffer.from([1, 2, 3, 250]));
    // a channel the filter does not match reaches no webhook
    await client.channels.get('ordersX').publish('created', 'ignored');

    const requests = await requestsTo('/hook', 3);
    expect(requests).toHaveLength(3);
    for (const request of requests) {
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['x-ably-version']).toBe('1.2');
      expect(request.headers['x-ably-key']).toBe('app1.full');
      expect(request.headers['x-tenant']).toBe('acme');
      expect(verifySignature(request)).toBe(true);
    }
    // a tampered body no longer verifies (the check above is not vacuous)
    expect(verifySignature({ ...requests[0], body: Buffer.from(requests[0].body.toString().replace('book', 'cook')) })).toBe(false);

    await expect.poll(() => seen.length, { timeout: 10_000, interval: 20 }).toBe(3);
    const envelopes = requests.map((r) => JSON.parse(r.body.toString()));
    expect(envelopes[0]).toEqual({
      source: 'channel.message',
      appId: 'app1',
      channel: 'orders:42',
      site: expect.any(String),
      ruleId: 'audit',
      messages: [
        {
          id: seen[0].id,
          clientId: 'alice',
          connectionId: client.connection.id,
          timestamp: seen[0].timestamp,
          name: 'created',
          data: JSON.stringify({ item: 'book', qty: 2 }),
          encoding: 'json',
        },
      ],
    });
    expect(envelopes[1].messages[0]).toMatchObject({ id: seen[1].id, name: 'note', data: 'plain text' });
    expect(envelopes[1].messages[0].encoding).toBeUndefined();
    expect(envelopes[2].messages[0]).toMatchObject({ id: seen[2].id, name: 'blob', encoding: 'base64' });
    expect(Buffer.from(envelopes[2].messages[0].data, 'base64')).toEqual(Buffer.from([1, 2, 3, 250]));
    // the SDK can decode what it gets, as Ably's docs recommend for webhook payloads
    const decoded = await Ably.Realtime.Message.fromEncodedArray(envelopes.map((e) => e.messages[0]));
    expect(decoded.map((m) => m.data)).toEqual([{ item: 'book', qty: 2 }, 'plain text', Buffer.from([1, 2, 3, 250])]);
  });

  it('sends non-enveloped data with x-ably-envelope-* and x-ably-message-* headers', async () => {
    const channel = client.channels.get('sensor:7');
    await channel.publish('reading', { celsius: 21.5 });
    await channel.publish('raw', Buffer.from([0, 255]));
    const [json, binary] = await requestsTo('/bare', 2);

    expect(json.body.toString()).toBe(JSON.stringify({ celsius: 21.5 }));
    expect(json.headers).toMatchObject({
      'content-type': 'application/json',
      'x-ably-version': '1.2',
      'x-ably-envelope-appid': 'app1',
      'x-ably-envelope-channel': 'sensor:7',
      'x-ably-envelope-rule-id': 'bare',
      'x-ably-envelope-source': 'channel.message',
      'x-ably-message-name': 'reading',
      'x-ably-message-client-id': 'alice',
      'x-ably-message-connection-id': client.connection.id,
      'x-ably-message-encoding': 'json',
      'x-ably-key': 'app1.full',
    });
    expect(json.headers['x-ably-envelope-site']).toBeTruthy();
    expect(json.headers['x-ably-message-id']).toMatch(/:\d+:0$/);
    expect(Number(json.headers['x-ably-message-timestamp'])).toBeGreaterThan(0);
    expect(verifySignature(json)).toBe(true);

    expect(binary.headers['content-type']).toBe('application/octet-stream');
    expect(binary.headers['x-ably-message-encoding']).toBeUndefined();
    expect(binary.body).toEqual(Buffer.from([0, 255]));
    expect(verifySignature(binary)).toBe(true);
  });

  it('retries a non-2xx answer and keeps the channel in order', async () => {
    failuresToServe.set('/flaky', [500, 503, 404]);
    const channel = client.channels.get('flaky');
    for (let i = 0; i < 5; i++) await channel.publish('n', String(i));
    const requests = await requestsTo('/flaky', 8);
    const payloads = requests.map((r) => JSON.parse(r.body.toString()).messages[0].data);
    // the first message is tried 4 times (3 failures), then the others follow once each, in order
    expect(payloads).toEqual(['0', '0', '0', '0', '1', '2', '3', '4']);
    const ids = requests.map((r) => JSON.parse(r.body.toString()).messages[0].id);
    expect(new Set(ids.slice(0, 4)).size).toBe(1);
  });

  it('sees only what was accepted: a publish refused by capability and an idempotent duplicate reach no webhook', async () => {
    const limited = new Ably.Realtime({ key: rowcast.keys.sub, clientId: 'mallory', endpoint: '127.0.0.1', port: rowcast.port, tls: false });
    try {
      await expect(limited.channels.get('orders:refused').publish('created', 'forged')).rejects.toMatchObject({ code: 40160 });
    } finally {
      limited.close();
    }
    const rest = new Ably.Rest({ key: rowcast.keys.full, endpoint: '127.0.0.1', port: rowcast.port, tls: false });
    await rest.channels.get('orders:refused').publish('created', 'marker');
    const idempotent = rest.channels.get('orders:idempotent');
    await idempotent.publish({ id: 'order-7', name: 'created', data: 'once' });
    await idempotent.publish({ id: 'order-7', name: 'created', data: 'once' });
    await idempotent.publish({ id: 'order-8', name: 'created', data: 'marker' });
    // Deliveries on a channel are in acceptance order, so once each marker arrived, anything wrongly queued
    // before it on its channel (the forged message, the duplicate) would have arrived first.
    await requestsTo('/hook', 6);
    const byChannel = (channel: string) =>
      received
        .filter((r) => r.path === '/hook')
        .map((r) => JSON.parse(r.body.toString()))
        .filter((e) => e.channel === channel)
        .map((e) => e.messages[0].data);
    expect(byChannel('orders:refused')).toEqual(['marker']);
    expect(byChannel('orders:idempotent')).toEqual(['once', 'marker']);
  });

  it('refuses a publish it cannot queue instead of acknowledging it, and queues again once the database can', async () => {
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    const channel = client.channels.get('orders:outage');
    try {
      await admin.query('ALTER TABLE rowcast_rule_queue RENAME TO rowcast_rule_queue_away');
      await expect(channel.publish('created', 'during the outage')).rejects.toMatchObject({
        code: 50000,
        message: expect.stringContaining('integration rules queue unavailable'),
      });
    } finally {
      await admin.query('ALTER TABLE rowcast_rule_queue_away RENAME TO rowcast_rule_queue');
      await admin.end();
    }
    await channel.publish('created', 'after the outage');
    const requests = await requestsTo('/hook', 7);
    const outage = requests.map((r) => JSON.parse(r.body.toString())).filter((e) => e.channel === 'orders:outage');
    expect(outage.map((e) => e.messages[0].data)).toEqual(['after the outage']);
  });

  it('sends presence events in a presence envelope', async () => {
    const channel = client.channels.get('lobby');
    await channel.presence.enter({ username: 'alice' });
    await channel.presence.update({ username: 'alice2' });
    const requests = await requestsTo('/presence', 2);
    const envelopes = requests.map((r) => JSON.parse(r.body.toString()));
    expect(envelopes[0]).toMatchObject({ source: 'channel.presence', channel: 'lobby', ruleId: 'presence-hook' });
    expect(envelopes.map((e) => e.presence[0].action)).toEqual([2, 4]);
    expect(envelopes[0].presence[0]).toMatchObject({
      clientId: 'alice',
      connectionId: client.connection.id,
      data: JSON.stringify({ username: 'alice' }),
      encoding: 'json',
    });
    expect(envelopes[0].messages).toBeUndefined();
  });
});
