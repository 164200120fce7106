import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import * as Ably from 'ably';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startRowcast, until } from '../support/rowcast.ts';
import { ARTIFACTS, chatConfigSections, joinChat, launchChromium, messageItem, watchConsole } from './chat-support.ts';

// Issue 6, "Done when": two real browsers (Debian chromium) on the chat served by Rowcast with its real rule,
// function, change stream and PostgreSQL. The steps build on each other, like two people using the chat.
const LEAVE_DELAY_MS = 1500;
const SEEDED = 70; // more than one page of history, so the older ones load on scrolling up

let db: TestDatabase;
let pool: pg.Pool;
let rowcast: Awaited<ReturnType<typeof startRowcast>>;
let browser: Browser;
let ctxA: BrowserContext;
let ctxB: BrowserContext;
let pageA: Page;
let pageB: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase('chate2e');
  pool = new pg.Pool({ connectionString: db.url });
  // The rule function reads its database from the environment, as a Lambda does.
  process.env.DATABASE_URL = db.url;
  rowcast = await startRowcast({
    database: { url: db.url },
    realtime: { presenceLeaveDelayMs: LEAVE_DELAY_MS },
    ...chatConfigSections(),
  });
  await pool.query(
    `INSERT INTO chat_data (username, msg_id, msg_data, client_id, created_at_timestamp, is_edited)
     SELECT 'Carol', 'seed-' || i, 'Earlier message ' || i, 'chat-carol', $1::bigint + i * 60000, false
     FROM generate_series(1, ${SEEDED}) i`,
    [Date.now() - (SEEDED + 5) * 60000],
  );
  browser = await launchChromium();
  ctxA = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  ctxB = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  pageA = await ctxA.newPage();
  pageB = await ctxB.newPage();
  watchConsole(pageA, 'A', consoleErrors);
  watchConsole(pageB, 'B', consoleErrors);
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await rowcast?.close();
  await pool?.end();
  await db?.drop();
});

/** B's own identity (B's cookie) in a Node SDK client: what a user could do with B's token outside the page. */
async function sdkClientAsB(): Promise<Ably.Realtime> {
  const cookies = await ctxB.cookies(rowcast.url);
  const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const client = new Ably.Realtime({
    authUrl: `${rowcast.url}/auth/token`,
    authHeaders: { cookie },
    endpoint: '127.0.0.1',
    port: rowcast.port,
    tls: false,
    useBinaryProtocol: false,
  });
  await client.connection.once('connected');
  return client;
}

async function rowOf(msgId: string) {
  return (await pool.query('SELECT * FROM chat_data WHERE msg_id = $1', [msgId])).rows[0];
}

describe('the editable chat in two browsers', () => {
  it('shows both users as online after they enter nicknames', async () => {
    await pageA.goto(rowcast.url);
    await pageA.getByLabel('Nickname').waitFor();
    await pageA.screenshot({ path: join(ARTIFACTS, 'chat-join.png'), animations: 'disabled' });
    await joinChat(pageA, rowcast.url, 'Alice');
    await joinChat(pageB, rowcast.url, 'Bob');
    for (const page of [pageA, pageB]) {
      await page.getByRole('heading', { name: 'Online now (2)' }).waitFor();
      const people = page.getByRole('complementary').getByRole('list', { name: 'People online' });
      expect(await people.getByRole('listitem').allInnerTexts()).toEqual([expect.stringContaining('Alice'), expect.stringContaining('Bob')]);
    }
  });

  it('loads the last 50 messages from the database, and older ones when scrolling up', async () => {
    await messageItem(pageA, `Earlier message ${SEEDED}`).waitFor();
    expect(await pageA.getByRole('list', { name: 'Messages' }).getByRole('listitem').count()).toBe(50);
    expect(await messageItem(pageA, `Earlier message ${SEEDED - 50}`).count()).toBe(0);
    await pageA.getByRole('list', { name: 'Messages' }).getByRole('listitem').first().scrollIntoViewIfNeeded();
    await pageA.evaluate(() => document.querySelector('[aria-label="Messages"]')?.parentElement?.scrollTo({ top: 0 }));
    await messageItem(pageA, 'Earlier message 1').first().waitFor();
    expect(await pageA.getByRole('list', { name: 'Messages' }).getByRole('listitem').count()).toBe(SEEDED);
    await pageA.getByText('This is the start of the conversation.').waitFor();
  });

  it('delivers a message from A to B, then A’s edit, with no edit control for B', async () => {
    const sentAt = Date.now();
    await pageA.getByLabel('Message', { exact: true }).fill('Hello from Alice');
    await pageA.getByLabel('Message', { exact: true }).press('Enter');
    await messageItem(pageB, 'Hello from Alice').waitFor();
    console.log(`B saw A's message ${Date.now() - sentAt} ms after A pressed Enter`);
    await messageItem(pageA, 'Hello from Alice').waitFor();
    expect(await messageItem(pageA, 'Hello from Alice').getAttribute('data-own')).toBe('true');
    expect(await messageItem(pageB, 'Hello from Alice').getAttribute('data-own')).toBe('false');
    await messageItem(pageB, 'Hello from Alice').getByText('by Alice at').waitFor();

    await messageItem(pageA, 'Hello from Alice').getByRole('button', { name: 'Edit message' }).click();
    const editor = pageA.getByLabel('Edit message text');
    await editor.fill('Hello from Alice, edited');
    await editor.press('Enter');
    const edited = messageItem(pageB, 'Hello from Alice, edited');
    await edited.getByText('edited', { exact: false }).last().waitFor();
    expect(await edited.innerText()).toMatch(/· edited/);
    expect(await edited.getByRole('button', { name: 'Edit message' }).count()).toBe(0);
    expect(await edited.getByRole('button', { name: 'Delete message' }).count()).toBe(0);
  });

  it('cancelling an edit restores the text and publishes nothing', async () => {
    const item = messageItem(pageA, 'Hello from Alice, edited');
    await item.getByRole('button', { name: 'Edit message' }).click();
    await pageA.getByLabel('Edit message text').fill('never saved');
    await pageA.getByLabel('Edit message text').press('Escape');
    await item.getByText('Hello from Alice, edited').waitFor();
    expect(await messageItem(pageA, 'never saved').count()).toBe(0);
  });

  it('removes a message A deletes from B’s view', async () => {
    await pageA.getByLabel('Message', { exact: true }).fill('A message to delete');
    await pageA.getByRole('button', { name: 'Send' }).click();
    await messageItem(pageB, 'A message to delete').waitFor();
    await pageA.screenshot({ path: join(ARTIFACTS, 'chat-desktop.png'), animations: 'disabled' });
    const item = messageItem(pageA, 'A message to delete');
    await item.getByRole('button', { name: 'Delete message' }).click();
    await item.getByRole('button', { name: 'Confirm delete' }).click();
    await messageItem(pageB, 'A message to delete').waitFor({ state: 'detached' });
    await messageItem(pageA, 'A message to delete').waitFor({ state: 'detached' });
    expect(
      await rowOf((await pool.query(`SELECT msg_id FROM chat_data WHERE msg_data = 'A message to delete'`)).rows[0]?.msg_id ?? 'none'),
    ).toBeUndefined();
  });

  it('does not scroll a reader who scrolled up, and offers the new message instead', async () => {
    const scroller = pageB.locator('ol[aria-label="Messages"]').locator('..');
    // Somewhere in the middle, away from the top (which would load older messages) and from the bottom.
    await scroller.evaluate((el) => el.scrollTo({ top: 400 }));
    await pageB.waitForFunction(() => document.querySelector('ol[aria-label="Messages"]')?.parentElement?.scrollTop === 400);
    await pageA.getByLabel('Message', { exact: true }).fill('While Bob reads old messages');
    await pageA.getByLabel('Message', { exact: true }).press('Enter');
    await pageB.getByRole('button', { name: /1 new message/ }).waitFor();
    expect(await scroller.evaluate((el) => el.scrollTop)).toBe(400);
    await pageB.getByRole('button', { name: /1 new message/ }).click();
    await pageB.waitForFunction(() => {
      const el = document.querySelector('ol[aria-label="Messages"]')?.parentElement;
      return !!el && el.scrollHeight - el.scrollTop - el.clientHeight < 48;
    });
  });

  it('ignores B’s forged edit of A’s message, and B’s token cannot publish on incoming-chat', async () => {
    const { msg_id: msgId } = (await pool.query(`SELECT msg_id FROM chat_data WHERE msg_data = 'Hello from Alice, edited'`)).rows[0];
    const client = await sdkClientAsB();
    try {
      const outgoing = client.channels.get('outgoing-chat');
      await outgoing.publish('editedMsg', { username: 'Alice', content: 'forged by Bob', msgIdToEdit: msgId });
      await outgoing.publish('deletedMsg', { msgIdToDelete: msgId });
      // Rules deliver a channel's messages in order: once Bob's next message is a row, the forgeries were handled.
      await outgoing.publish('chatMsg', { username: 'Bob', content: 'sentinel after the forgery' });
      await messageItem(pageA, 'sentinel after the forgery').waitFor();
      expect(await rowOf(msgId)).toMatchObject({ msg_data: 'Hello from Alice, edited', client_id: expect.stringMatching(/^chat-/) });
      expect(await messageItem(pageB, 'forged by Bob').count()).toBe(0);

      const incoming = client.channels.get('incoming-chat');
      const forgedRow = JSON.stringify({ table: 'chat_data', type: 'UPDATE', row: { msg_id: msgId, msg_data: 'forged row' } });
      const err = await incoming.publish('forged', forgedRow).then(
        () => undefined,
        (e: Ably.ErrorInfo) => e,
      );
      expect(err?.code).toBe(40160);
    } finally {
      client.close();
    }
    expect(await messageItem(pageA, 'forged row').count()).toBe(0);
  });

  it('keeps the history and the right to edit across a reload', async () => {
    await pageA.reload();
    const item = messageItem(pageA, 'Hello from Alice, edited');
    await item.waitFor();
    await pageA.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await item.getByRole('button', { name: 'Edit message' }).click();
    await pageA.getByLabel('Edit message text').fill('Edited again after a reload');
    await pageA.getByRole('button', { name: 'Save' }).click();
    await messageItem(pageB, 'Edited again after a reload').waitFor();
    expect(await messageItem(pageB, 'sentinel after the forgery').getAttribute('data-own')).toBe('true');
  });

  it('shows an edit in place, as an update of the same message (same serial), and B’s reaction on it to both', async () => {
    const observer = new Ably.Realtime({ key: rowcast.keys.full, endpoint: '127.0.0.1', port: rowcast.port, tls: false });
    try {
      const seen: Ably.InboundMessage[] = [];
      await observer.channels.get('incoming-chat').subscribe((m) => seen.push(m));
      await pageA.getByLabel('Message', { exact: true }).fill('Reaction target');
      await pageA.getByLabel('Message', { exact: true }).press('Enter');
      await messageItem(pageB, 'Reaction target').waitFor();
      const created = await until(() => seen.find((m) => m.data?.msg_data === 'Reaction target'), 'the create');
      expect(created.action).toBe('message.create');
      const msgId = created.data.msg_id as string;
      const positionOnB = () =>
        pageB.evaluate(
          (id) => Array.from(document.querySelectorAll('ol[aria-label="Messages"] > li')).findIndex((li) => li.getAttribute('data-msg-id') === id),
          msgId,
        );
      const before = await positionOnB();

      await messageItem(pageA, 'Reaction target').getByRole('button', { name: 'Edit message' }).click();
      await pageA.getByLabel('Edit message text').fill('Reaction target, edited');
      await pageA.getByLabel('Edit message text').press('Enter');
      await messageItem(pageB, 'Reaction target, edited').waitFor();
      const updated = await until(() => seen.find((m) => m.action === 'message.update' && m.data?.msg_id === msgId), 'the update');
      expect(updated.serial).toBe(created.serial);
      expect(await positionOnB()).toBe(before); // in place, not a new message at the bottom
      expect(await pageB.locator(`li[data-msg-id="${msgId}"]`).innerText()).toMatch(/Reaction target, edited[\s\S]*· edited/);

      await messageItem(pageB, 'Reaction target, edited').getByRole('button', { name: 'React with 👍' }).click();
      await messageItem(pageA, 'Reaction target, edited').getByRole('button', { name: '👍 1: add yours' }).waitFor();
      await messageItem(pageB, 'Reaction target, edited').getByRole('button', { name: '👍 1, yours: remove' }).waitFor();
      const summary = await until(() => seen.find((m) => m.action === 'message.summary'), 'the reaction summary');
      expect(summary.serial).toBe(created.serial);
      // what a reader loading the page later sees: the reaction with the message (from the database)
      await pageA.reload();
      await messageItem(pageA, 'Reaction target, edited').getByRole('button', { name: '👍 1: add yours' }).waitFor();
      await pageA.getByRole('status').filter({ hasText: 'Connected' }).waitFor();

      await messageItem(pageB, 'Reaction target, edited').getByRole('button', { name: '👍 1, yours: remove' }).click();
      await messageItem(pageA, 'Reaction target, edited').getByRole('button', { name: /^👍 1/ }).waitFor({ state: 'detached' });
    } finally {
      observer.close();
    }
  });

  it('shows the connection state and disables sending while offline', async () => {
    const errorsBefore = consoleErrors.length;
    await ctxA.setOffline(true);
    await pageA.getByRole('status').filter({ hasText: 'Offline' }).waitFor();
    await pageA.getByLabel('Message', { exact: true }).fill('typed while offline');
    expect(await pageA.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
    await ctxA.setOffline(false);
    await pageA.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    expect(await pageA.getByRole('button', { name: 'Send' }).isEnabled()).toBe(true);
    // Chromium itself logs each refused reconnection attempt while offline; those are the only errors allowed here.
    const offlineErrors = consoleErrors.splice(errorsBefore);
    expect(offlineErrors.filter((e) => !e.includes('net::ERR_INTERNET_DISCONNECTED'))).toEqual([]);
    await pageA.getByLabel('Message', { exact: true }).fill('');
  });

  it('counts a user with two tabs once, applies a name change, and a closed tab removes only that connection', async () => {
    const secondTab = await ctxA.newPage();
    watchConsole(secondTab, 'A2', consoleErrors);
    await secondTab.goto(rowcast.url); // same browser: same cookie (clientId) and remembered nickname
    await secondTab.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await secondTab.getByRole('heading', { name: 'Online now (2)' }).waitFor();
    expect(await pageB.getByRole('heading', { name: 'Online now (2)' }).isVisible()).toBe(true);

    await pageA.getByRole('button', { name: 'Change name' }).click();
    await pageA.getByLabel('Nickname').fill('Alice Liddell');
    await pageA.getByLabel('Nickname').press('Enter');
    const peopleB = pageB.getByRole('complementary').getByRole('list', { name: 'People online' });
    await peopleB.getByText('Alice Liddell').waitFor();
    expect(await peopleB.getByRole('listitem').count()).toBe(2);

    const rest = new Ably.Rest({ key: rowcast.keys.full, endpoint: '127.0.0.1', port: rowcast.port, tls: false });
    const connections = async () => (await rest.channels.get('outgoing-chat').presence.get()).items.length;
    expect(await connections()).toBe(3); // Alice twice (two tabs), Bob once
    await secondTab.close();
    // Wait until the server dropped the tab's member (after the leave delay); Alice stays through her first tab.
    while ((await connections()) !== 2) await new Promise((r) => setTimeout(r, 100));
    await pageB.getByRole('heading', { name: 'Online now (2)' }).waitFor();
    expect(await peopleB.getByRole('listitem').allInnerTexts()).toEqual([expect.stringContaining('Alice Liddell'), expect.stringContaining('Bob')]);
  });

  it('opens the architecture panel from the keyboard and closes it with Escape', async () => {
    const trigger = pageA.getByRole('button', { name: 'How it works' });
    await trigger.focus();
    await pageA.keyboard.press('Enter');
    const panel = pageA.getByRole('dialog', { name: 'How it works' });
    await panel.getByText('Change stream').waitFor();
    await pageA.screenshot({ path: join(ARTIFACTS, 'chat-architecture.png'), animations: 'disabled' });
    await pageA.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
    expect(await trigger.evaluate((el) => el === document.activeElement)).toBe(true);
  });

  it('counts B out once B’s page is closed, after the leave delay', async () => {
    await pageA.getByRole('heading', { name: 'Online now (2)' }).waitFor();
    await pageB.close();
    await pageA.getByRole('heading', { name: 'Online now (1)' }).waitFor({ timeout: LEAVE_DELAY_MS + 15_000 });
    const people = pageA.getByRole('complementary').getByRole('list', { name: 'People online' });
    expect(await people.getByRole('listitem').allInnerTexts()).toEqual([expect.stringContaining('Alice')]);
  });

  it('at 375 px the presence button shows the count and opens the list', async () => {
    await pageA.setViewportSize({ width: 375, height: 740 });
    const button = pageA.getByRole('button', { name: /Online now \(1\), show who is online/ });
    await button.waitFor();
    expect(await button.innerText()).toContain('1');
    expect(await pageA.getByRole('complementary').isVisible()).toBe(false);
    await pageA.screenshot({ path: join(ARTIFACTS, 'chat-mobile.png'), animations: 'disabled' });
    await button.click();
    const panel = pageA.getByRole('dialog', { name: 'People' });
    await panel.getByRole('heading', { name: 'Online now (1)' }).waitFor();
    expect(await panel.getByRole('listitem').allInnerTexts()).toEqual([expect.stringContaining('Alice')]);
    await pageA.screenshot({ path: join(ARTIFACTS, 'chat-mobile-people.png'), animations: 'disabled' });
    await pageA.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
  });

  it('fits 360 px without sideways scrolling, even with a long unbroken word', async () => {
    await pageA.setViewportSize({ width: 360, height: 740 });
    const word = `https://example.com/${'a-very-long-path-segment'.repeat(8)}`;
    await pageA.getByLabel('Message', { exact: true }).fill(word);
    await pageA.getByLabel('Message', { exact: true }).press('Enter');
    await messageItem(pageA, word).waitFor();
    expect(await pageA.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    const box = await messageItem(pageA, word).locator('article').boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(360);
    await pageA.screenshot({ path: join(ARTIFACTS, 'chat-360.png'), animations: 'disabled' });
  });

  it('logged no console errors in either browser', () => {
    expect(consoleErrors).toEqual([]);
  });
});
