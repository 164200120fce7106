import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { resolve } from 'node:path';
import * as Ably from 'ably';
import { chromium, type Browser, type Page } from 'playwright-core';
import { clientOptions, KEYS, startRowcast, until } from '../support/rowcast.ts';

/**
 * Issue 11 item 9 in Chromium: the SDK's browser build over `xhr_polling` (Comet), from a page on another origin,
 * so every poll and send is a real cross-origin XHR; and behind a proxy that swallows WebSocket upgrades, the
 * SDK's default transports fall back to it on their own.
 */
const ablyBrowserBuild = readFileSync(resolve(import.meta.dirname, '../../node_modules/ably/build/ably.min.js'), 'utf8');
let server: Awaited<ReturnType<typeof startRowcast>>;
let app: Server;
let appUrl: string;
let proxy: Server;
let proxyPort: number;
const swallowed = new Set<Socket>();
let browser: Browser;
const nodeClients: Ably.Realtime[] = [];

beforeAll(async () => {
  server = await startRowcast();
  app = createServer((req, res) => {
    if (req.url === '/ably.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(ablyBrowserBuild);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script src="/ably.js"></script>');
  });
  await new Promise<void>((ok) => app.listen(0, '127.0.0.1', ok));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/`;
  // A proxy as some networks have: plain HTTP passes, WebSocket upgrades are never answered.
  proxy = createServer((req, res) => {
    const upstream = request({ host: '127.0.0.1', port: server.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  proxy.on('upgrade', (_req, socket: Socket) => {
    swallowed.add(socket);
    socket.on('close', () => swallowed.delete(socket));
  });
  await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
  proxyPort = (proxy.address() as AddressInfo).port;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

afterAll(async () => {
  for (const c of nodeClients) c.close();
  await browser?.close();
  for (const s of swallowed) s.destroy();
  proxy?.closeAllConnections();
  await new Promise((ok) => proxy?.close(ok));
  await new Promise((ok) => app?.close(ok));
  await server?.close();
});

/** A Node SDK client over WebSocket: the other side of the conversation. */
async function nodeClient(clientId: string): Promise<Ably.Realtime> {
  const client = new Ably.Realtime(clientOptions(server, { key: KEYS.full, clientId, transports: ['web_socket'] }) as Ably.ClientOptions);
  nodeClients.push(client);
  await client.connection.once('connected');
  return client;
}

/**
 * Opens a page whose SDK client (`window.client`) connects with `options` and records what it receives on
 * `channel` in `window.received` and presence in `window.presence`; resolves with the transport it connected on.
 */
async function pageClient(page: Page, channel: string, options: Record<string, unknown>): Promise<string> {
  await page.goto(appUrl);
  return page.evaluate(
    async ({ channel, options }) => {
      const w = window as unknown as Record<string, any>;
      const client = new w.Ably.Realtime({ tls: false, logLevel: 0, key: 'app1.full:fullsecret', clientId: 'browser', ...options });
      w.client = client;
      w.received = [];
      w.presence = [];
      await client.connection.once('connected');
      const ch = client.channels.get(channel);
      await ch.subscribe((m: { name: string; data: unknown; clientId: string }) => w.received.push(`${m.name}:${m.data}:${m.clientId}`));
      await ch.presence.subscribe((p: { action: string; clientId: string }) => w.presence.push(`${p.action}:${p.clientId}`));
      return client.connection.connectionManager.activeProtocol.transport.shortName as string;
    },
    { channel, options },
  );
}

describe('the browser SDK over Comet (xhr_polling)', () => {
  it('a page limited to xhr_polling publishes, subscribes and enters presence across origins', async () => {
    const channel = 'comet-browser-room';
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on('requestfailed', (r) => failures.push(`${r.url()} ${r.failure()?.errorText}`));
    const transport = await pageClient(page, channel, { endpoint: '127.0.0.1', port: server.port, transports: ['xhr_polling'] });
    expect(transport).toBe('xhr_polling');

    const node = await nodeClient('node');
    const nodeReceived: string[] = [];
    // Only what the browser sent (the Node client also gets its own messages back).
    await node.channels.get(channel).subscribe('from-browser', (m) => void nodeReceived.push(`${m.name}:${m.data}:${m.clientId}`));
    const nodePresence: string[] = [];
    await node.channels.get(channel).presence.subscribe((p) => void nodePresence.push(`${p.action}:${p.clientId}`));

    await page.evaluate(async (channel) => {
      const ch = (window as unknown as Record<string, any>).client.channels.get(channel);
      await ch.publish('from-browser', 'hello over xhr');
      await ch.presence.enter('here');
    }, channel);
    for (let i = 0; i < 5; i++) await node.channels.get(channel).publish('from-node', `n${i}`);

    await until(() => nodeReceived.length === 1 && nodePresence.length === 1, 'the browser message and member at the Node client');
    expect(nodeReceived).toEqual(['from-browser:hello over xhr:browser']);
    expect(nodePresence).toEqual(['enter:browser']);
    const expected = ['from-browser:hello over xhr:browser', ...Array.from({ length: 5 }, (_, i) => `from-node:n${i}:node`)];
    const received = async () => page.evaluate(() => (window as unknown as { received: string[] }).received);
    for (let i = 0; i < 200 && (await received()).length < expected.length; i++) await page.waitForTimeout(50);
    expect(await received()).toEqual(expected);
    expect(await page.evaluate(() => (window as unknown as { presence: string[] }).presence)).toEqual(['enter:browser']);

    // History through the same page (REST over XHR too).
    const history = await page.evaluate(async (channel) => {
      const page = await (window as unknown as Record<string, any>).client.channels.get(channel).history({ direction: 'forwards' });
      return page.items.map((m: { data: string }) => m.data);
    }, channel);
    expect(history).toEqual(['hello over xhr', 'n0', 'n1', 'n2', 'n3', 'n4']);

    // Closing goes through /comet/{key}/close: the member leaves at once, not after a delay.
    await page.evaluate(() => (window as unknown as Record<string, any>).client.close());
    await until(() => nodePresence.length === 2, 'the browser leaving on close');
    expect(nodePresence[1]).toBe('leave:browser');
    expect(failures.filter((f) => !f.includes('/recv'))).toEqual([]); // an aborted recv on close is expected
    await page.close();
  });

  it('behind a proxy that swallows WebSocket upgrades, the default transports fall back to xhr_polling', async () => {
    const channel = 'comet-browser-proxied';
    const page = await browser.newPage();
    const transport = await pageClient(page, channel, {
      endpoint: '127.0.0.1',
      port: proxyPort,
      // The SDK's own checks, pointed at this network instead of Ably's hosts (which are unreachable here).
      wsConnectivityCheckUrl: `ws://127.0.0.1:${proxyPort}/`,
      disableConnectivityCheck: true,
      webSocketSlowTimeout: 1000,
      webSocketConnectTimeout: 3000,
    });
    expect(transport).toBe('xhr_polling');
    expect(swallowed.size).toBeGreaterThan(0);

    const node = await nodeClient('node2');
    const nodeReceived: string[] = [];
    await node.channels.get(channel).subscribe('x', (m) => void nodeReceived.push(String(m.data)));
    await page.evaluate(
      (channel) => (window as unknown as Record<string, any>).client.channels.get(channel).publish('x', 'through the proxy'),
      channel,
    );
    await node.channels.get(channel).publish('y', 'back through the proxy');
    await until(() => nodeReceived.length === 1, 'the proxied browser message');
    expect(nodeReceived).toEqual(['through the proxy']);
    const received = async () => page.evaluate(() => (window as unknown as { received: string[] }).received);
    for (let i = 0; i < 200 && (await received()).length < 2; i++) await page.waitForTimeout(50);
    expect(await received()).toEqual(['x:through the proxy:browser', 'y:back through the proxy:node2']);
    await page.evaluate(() => (window as unknown as Record<string, any>).client.close());
    await page.close();
  });
});
