import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Ably from 'ably';
import pg from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFlakyWebhook, type FlakyWebhook } from '../support/flaky-webhook.ts';
import { clientOptions, startRowcast, type TestRowcast } from '../support/rowcast.ts';

/**
 * Issue 13, the admin page in Chromium: signed in with the admin key it shows a channel, its occupancy and its
 * presence members as they change, the change stream's slot lag, and requeues a dead letter. Every admin route
 * refuses a caller without the key (401) and one with an Ably key or a chat token (403).
 */
const ADMIN_KEY = 'admin-key-for-the-test-0123456789';
let db: TestDatabase;
let server: TestRowcast;
let hook: FlakyWebhook;
let browser: Browser;
const clients: Ably.Realtime[] = [];

beforeAll(async () => {
  hook = await startFlakyWebhook();
  db = await createTestDatabase('admin');
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query('CREATE TABLE readings (id serial PRIMARY KEY, value int NOT NULL)');
  await sql.end();
  server = await startRowcast({
    database: { url: db.url },
    admin: { key: ADMIN_KEY },
    connector: {
      connector: [{ tablename: 'readings', ablychannelname: 'readings', operation: 'INSERT' }],
      slotName: `${db.name}_slot`,
      publicationName: `${db.name}_pub`,
      statsIntervalSeconds: 0.5,
    },
    rules: [
      {
        id: 'fragile',
        channelFilter: '^invoices$',
        target: { type: 'http', url: hook.url },
        retry: { attempts: 1, backoffBaseMs: 10, backoffMaxMs: 10 },
      },
    ],
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await browser?.close();
  await server?.close();
  await hook?.close();
  await db?.drop();
});

function realtime(clientId: string): Ably.Realtime {
  const c = new Ably.Realtime(clientOptions(server, { key: server.keys.full, clientId }) as Ably.ClientOptions);
  clients.push(c);
  return c;
}

async function signIn(page: Page): Promise<void> {
  await page.goto(`${server.url}/admin`);
  await page.getByTestId('admin-key').fill('not-the-admin-key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('sign-in-error').waitFor();
  await page.getByTestId('admin-key').fill(ADMIN_KEY);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('node-status').waitFor();
}

describe('the admin page', () => {
  it('shows a channel with its occupancy and presence members as they change, and the slot lag', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await signIn(page);
    const alice = realtime('alice');
    await alice.channels.get('lobby').presence.enter('hi');
    const channel = page.getByTestId('channel-lobby');
    await channel.waitFor();
    await expect.poll(() => page.getByTestId('occupancy-lobby').textContent(), { timeout: 15_000 }).toBe('1');
    await expect.poll(() => page.getByTestId('members-lobby').textContent(), { timeout: 15_000 }).toBe('1');
    await channel.click();
    await expect.poll(() => page.getByTestId('presence-member').allTextContents(), { timeout: 15_000 }).toEqual([expect.stringContaining('alice')]);

    const bob = realtime('bob');
    await bob.channels.get('lobby').presence.enter();
    await expect.poll(() => page.getByTestId('members-lobby').textContent(), { timeout: 15_000 }).toBe('2');
    await expect
      .poll(async () => (await page.getByTestId('presence-member').allTextContents()).map((t) => t.trim().split(' ')[0]).sort(), { timeout: 15_000 })
      .toEqual(['alice', 'bob']);
    await bob.channels.get('lobby').presence.leave();
    await expect.poll(() => page.getByTestId('members-lobby').textContent(), { timeout: 15_000 }).toBe('1');

    // Recent messages of the channel.
    await alice.channels.get('lobby').publish('greeting', 'hello admin');
    await expect
      .poll(() => page.getByTestId('recent-message').allTextContents(), { timeout: 15_000 })
      .toEqual([expect.stringContaining('hello admin')]);

    await expect.poll(() => page.getByTestId('slot-lag').textContent(), { timeout: 15_000 }).toMatch(/^\d+ bytes$/);
    // Mobile-friendly: nothing wider than the phone's screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.close();
  });

  it('requeues a dead letter, which is then delivered', async () => {
    const page = await browser.newPage();
    await signIn(page);
    const rest = new Ably.Rest(clientOptions(server, { key: server.keys.full }) as Ably.ClientOptions);
    await rest.channels.get('invoices').publish('invoice', 'INV-1');
    const deadLetter = page.getByTestId('dead-letter');
    await expect.poll(() => deadLetter.count(), { timeout: 20_000 }).toBe(1);
    expect(await deadLetter.textContent()).toContain('fragile');
    hook.healthy = true;
    await deadLetter.getByRole('button', { name: 'Requeue' }).click();
    await expect.poll(() => hook.delivered, { timeout: 20_000 }).toEqual(['INV-1']);
    await page.getByTestId('no-dead-letters').waitFor();
    await page.close();
  });
});

describe('admin routes', () => {
  const routes: Array<[string, string]> = [
    ['GET', 'status'],
    ['GET', 'channels'],
    ['GET', 'channels/lobby'],
    ['GET', 'connections'],
    ['GET', 'changestream'],
    ['GET', 'rules'],
    ['GET', 'stats'],
    ['POST', 'rules/requeue'],
  ];

  it('answer the admin key, and refuse no credentials (401), Ably keys and chat tokens (403)', async () => {
    const rest = new Ably.Rest(clientOptions(server, { key: server.keys.full }) as Ably.ClientOptions);
    const chatToken = (await rest.auth.requestToken({ clientId: 'chatter' })).token;
    const basicKey = `Basic ${Buffer.from(server.keys.full).toString('base64')}`;
    const call = (method: string, path: string, authorization?: string) =>
      fetch(`${server.url}/admin/api/${path}`, {
        method,
        headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/json' },
        body: method === 'POST' ? JSON.stringify({ deliveryIds: ['none'] }) : undefined,
      });
    for (const [method, path] of routes) {
      expect([method, path, (await call(method, path)).status]).toEqual([method, path, 401]);
      expect([method, path, (await call(method, path, `Bearer ${chatToken}`)).status]).toEqual([method, path, 403]);
      expect([method, path, (await call(method, path, `Bearer ${Buffer.from(chatToken).toString('base64')}`)).status]).toEqual([method, path, 403]);
      expect([method, path, (await call(method, path, basicKey)).status]).toEqual([method, path, 403]);
      expect([method, path, (await call(method, path, `Bearer ${server.keys.full}`)).status]).toEqual([method, path, 403]);
      expect([method, path, (await call(method, path, `Bearer ${ADMIN_KEY}`)).status]).toEqual([method, path, 200]);
    }
  });
});
