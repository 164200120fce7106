import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startRowcast } from '../support/rowcast.ts';

/**
 * A browser app served from another origin uses Rowcast's REST API and realtime with the SDK's browser build:
 * CORS preflights (authorization, x-ably-version, ably-agent, content-type) must pass for real in Chromium.
 */
const ablyBrowserBuild = readFileSync(resolve(import.meta.dirname, '../../node_modules/ably/build/ably.min.js'), 'utf8');
let server: Awaited<ReturnType<typeof startRowcast>>;
let app: Server;
let appUrl: string;
let browser: Browser;

beforeAll(async () => {
  server = await startRowcast();
  // The "app" origin: another port, so every REST call from the page is cross-origin.
  app = createServer((req, res) => {
    if (req.url === '/ably.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(ablyBrowserBuild);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script src="/ably.js"></script>');
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => app?.close(resolve));
  await server?.close();
});

describe('REST from a browser on another origin', () => {
  it('publishes, reads history and gets a token across origins, and a realtime client receives', async () => {
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on('requestfailed', (r) => failures.push(`${r.url()} ${r.failure()?.errorText}`));
    await page.goto(appUrl);
    const result = await page.evaluate(
      async ({ port }) => {
        const Ably = (window as unknown as { Ably: any }).Ably;
        const common = { endpoint: '127.0.0.1', port, tls: false, logLevel: 0 };
        const realtime = new Ably.Realtime({ ...common, key: 'app1.full:fullsecret', transports: ['web_socket'] });
        const channel = realtime.channels.get('browser-room');
        const received: string[] = [];
        await channel.subscribe((m: { data: string }) => received.push(m.data));

        const rest = new Ably.Rest({ ...common, key: 'app1.full:fullsecret', clientId: 'browser' });
        await rest.channels.get('browser-room').publish('hello', 'from another origin');
        const history = await rest.channels.get('browser-room').history();
        const token = await rest.auth.requestToken({ clientId: 'browser' });
        const tokenRest = new Ably.Rest({ ...common, token: token.token });
        await tokenRest.channels.get('browser-room').publish('again', 'with a token');
        const time = await rest.time();
        for (let i = 0; i < 100 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
        realtime.close();
        return {
          history: history.items.map((m: { data: string; clientId: string }) => [m.data, m.clientId]),
          tokenClientId: token.clientId,
          timeIsNumber: typeof time === 'number',
          received,
        };
      },
      { port: server.port },
    );
    expect(failures).toEqual([]);
    expect(result.history).toEqual([['from another origin', 'browser']]);
    expect(result.tokenClientId).toBe('browser');
    expect(result.timeIsNumber).toBe(true);
    expect(result.received).toEqual(['from another origin', 'with a token']);
    await page.close();
  });
});
