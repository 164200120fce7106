import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The repository root: the chat's config paths resolve against it. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** Where browser tests write their screenshots (ignored by git, kept by CI as artifacts). */
export const ARTIFACTS = resolve(REPO_ROOT, 'test-artifacts');

/** Debian's chromium, driven by playwright-core (never a downloaded browser). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * The chat's sections of the repo's rowcast.config.json (apps, rules, connector), with paths made absolute and a
 * replication slot + publication of the test's own, so parallel test files do not share a slot.
 */
export function chatConfigSections(): Record<string, unknown> {
  const config = JSON.parse(readFileSync(resolve(REPO_ROOT, 'rowcast.config.json'), 'utf8')) as {
    apps: Array<Record<string, any>>;
    rules: Array<Record<string, any>>;
    connector: Record<string, unknown>;
  };
  const abs = (p: string) => resolve(REPO_ROOT, p);
  const apps = config.apps.map((app) => ({
    ...app,
    migrations: app.migrations && abs(app.migrations),
    routes: app.routes && abs(app.routes),
    static: app.static && {
      ...app.static,
      dir: abs(app.static.dir),
      build: app.static.build && { ...app.static.build, cwd: abs(app.static.build.cwd) },
    },
  }));
  const rules = config.rules.map((rule) => ({
    ...rule,
    target: rule.target.module ? { ...rule.target, module: abs(rule.target.module) } : rule.target,
  }));
  const suffix = randomBytes(4).toString('hex');
  const connector = { ...config.connector, slotName: `chat_test_${suffix}`, publicationName: `chat_test_${suffix}` };
  return { apps, rules, connector };
}

/** Records console errors and uncaught page errors; the app must produce none. */
export function watchConsole(page: Page, label: string, sink: string[]): void {
  page.on('console', (msg) => {
    if (msg.type() === 'error') sink.push(`${label} console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => sink.push(`${label} pageerror: ${err.message}`));
}

/** Opens the chat and joins with `name` (the nickname form is shown to a first-time visitor). */
export async function joinChat(page: Page, url: string, name: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Nickname').fill(name);
  await page.getByRole('button', { name: 'Join chat' }).click();
  await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
}

/** The list item of the message whose text is `text`. */
export function messageItem(page: Page, text: string) {
  return page.getByRole('list', { name: 'Messages' }).getByRole('listitem').filter({ hasText: text });
}
