import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startRowcast, type TestConfig } from '../support/rowcast.ts';
import { freePort } from '../support/ports.ts';
import { chatConfigSections, joinChat, launchChromium, messageItem, watchConsole } from './chat-support.ts';

// The page through a Rowcast restart: it shows that it is reconnecting, comes back on its own, shows what was
// written meanwhile, and the user keeps their identity (the cookie secret is configured, as a data dir would keep it).
let db: TestDatabase;
let pool: pg.Pool;
let browser: Browser;
let page: Page;
let config: TestConfig;
let rowcast: Awaited<ReturnType<typeof startRowcast>> | undefined;
const consoleErrors: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase('chatrestart');
  pool = new pg.Pool({ connectionString: db.url });
  process.env.DATABASE_URL = db.url;
  const sections = chatConfigSections() as { apps: Array<Record<string, unknown>> } & Record<string, unknown>;
  sections.apps = sections.apps.map((app) => ({ ...app, settings: { cookieSecret: 'a-test-cookie-secret-kept-across-restarts' } }));
  config = { port: await freePort(), database: { url: db.url }, ...sections };
  rowcast = await startRowcast(config);
  browser = await launchChromium();
  page = await browser.newPage();
  watchConsole(page, 'page', consoleErrors);
});

afterAll(async () => {
  await browser?.close();
  await rowcast?.close();
  await pool?.end();
  await db?.drop();
});

describe('the chat across a server restart', () => {
  it('shows reconnecting while the server is away and catches up when it is back', async () => {
    await joinChat(page, rowcast!.url, 'Erin');
    await page.getByLabel('Message', { exact: true }).fill('Before the restart');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await messageItem(page, 'Before the restart').waitFor();

    await rowcast!.close();
    rowcast = undefined;
    await page.getByRole('status').filter({ hasText: 'Reconnecting…' }).waitFor();
    expect(await page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
    // Written while Rowcast is down: the change stream's durable slot delivers it after the restart.
    await pool.query(
      `INSERT INTO chat_data (username, msg_id, msg_data, client_id, created_at_timestamp, is_edited)
       VALUES ('Frank', 'while-down', 'Written while the server was away', 'chat-frank', $1, false)`,
      [Date.now()],
    );

    rowcast = await startRowcast(config);
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor({ timeout: 30_000 });
    await messageItem(page, 'Written while the server was away').waitFor();
    expect(await page.getByRole('list', { name: 'Messages' }).getByRole('listitem').count()).toBe(2);

    const item = messageItem(page, 'Before the restart');
    await item.getByRole('button', { name: 'Edit message' }).click();
    await page.getByLabel('Edit message text').fill('Edited after the restart');
    await page.getByLabel('Edit message text').press('Enter');
    await messageItem(page, 'Edited after the restart').getByText('· edited').waitFor();
  });

  it('logged no console errors other than the refused reconnection attempts', () => {
    expect(consoleErrors.filter((e) => !/WebSocket connection to .* failed/.test(e))).toEqual([]);
  });
});
