import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { freePort } from '../support/ports.ts';
import { waitUntilReady, type WatchedChild } from '../support/ready-child.ts';
import { REPO_ROOT, joinChat, launchChromium, messageItem, watchConsole } from './chat-support.ts';

// Issue 6: "`npm start` from a fresh clone brings the chat up". The test clones the repository (committed state),
// gives the clone the installed dependencies as hard links (instead of a networked `npm install`), and runs the
// real `npm start` there: embedded PostgreSQL in the clone's .rowcast/, the chat's build, migration, rule and
// change stream. Then Ctrl-C (SIGINT to the process group) and a second start on the same data.
let clone: string;
let browser: Browser;
let port: number;
const children: ChildProcess[] = [];

beforeAll(async () => {
  const parent = mkdtempSync(join(tmpdir(), 'rowcast-clone-'));
  // As root, embedded PostgreSQL runs its binaries as the user `postgres`, who must be able to reach them.
  chmodSync(parent, 0o755);
  clone = join(parent, 'rowcast');
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', REPO_ROOT, clone]);
  linkDependencies(REPO_ROOT, clone);
  port = await freePort();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  for (const child of children) await stopGroup(child, 'SIGKILL');
  if (clone) rmSync(join(clone, '..'), { recursive: true, force: true });
});

/** Hard-links node_modules (the root one and any workspace's own) from the installed tree into the clone. */
function linkDependencies(from: string, to: string): void {
  copyTree(join(from, 'node_modules'), join(to, 'node_modules'));
  for (const group of ['packages', 'apps']) {
    for (const ws of readdirSync(join(from, group))) {
      const nm = join(from, group, ws, 'node_modules');
      if (existsSync(nm) && existsSync(join(to, group, ws))) copyTree(nm, join(to, group, ws, 'node_modules'));
    }
  }
}

/** Hard links when source and temp dir share a filesystem (instant), else a real copy. */
function copyTree(src: string, dest: string): void {
  try {
    execFileSync('cp', ['-al', src, dest], { stdio: 'ignore' });
  } catch {
    rmSync(dest, { recursive: true, force: true });
    execFileSync('cp', ['-a', src, dest]);
  }
}

interface Started extends WatchedChild {
  child: ChildProcess;
}

/** Runs `npm start` in the clone, as a user would, and resolves once it printed the URL. */
async function npmStart(): Promise<Started> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
  delete env.DATABASE_URL; // a fresh machine: Rowcast starts its own embedded PostgreSQL
  delete env.ROWCAST_CONFIG;
  const child = spawn('npm', ['start'], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return { child, ...(await waitUntilReady(child, `ready at http://127.0.0.1:${port}`, 'npm start', 150_000)) };
}

/** Ctrl-C in a terminal signals the whole foreground process group: npm and Rowcast under it. */
async function stopGroup(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const done = new Promise((ok) => child.once('exit', ok));
  try {
    process.kill(-child.pid, signal);
  } catch {
    return;
  }
  await done;
  // npm may exit before Rowcast under it has finished shutting down: wait for the whole group to be gone.
  for (;;) {
    try {
      process.kill(-child.pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Rowcast stopped cleanly: it said so, and PostgreSQL shut down (a clean stop removes its postmaster.pid). */
function expectCleanStop(started: Started): void {
  expect(started.output()).toContain('SIGINT received, shutting down');
  expect(started.output()).not.toMatch(/shutdown failed/);
  expect(existsSync(join(clone, '.rowcast', 'pg', 'postmaster.pid'))).toBe(false);
}

describe('npm start from a fresh clone', () => {
  it('builds and serves the chat; a message makes the whole round trip; Ctrl-C stops it cleanly', async () => {
    const first = await npmStart();
    const log = first.output();
    expect(log).toMatch(/embedded PostgreSQL/i);
    expect(log).toMatch(/chat: applied migrations 001_chat_data\.sql/);
    expect(log).toMatch(/chat: web app built/);

    const page = await browser.newPage();
    const errors: string[] = [];
    watchConsole(page, 'page', errors);
    await joinChat(page, `http://127.0.0.1:${port}`, 'Dana');
    await page.getByRole('heading', { name: 'Online now (1)' }).waitFor();
    await page.getByLabel('Message', { exact: true }).fill('Hello from a fresh clone');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await messageItem(page, 'Hello from a fresh clone').waitFor();
    await page.close();
    expect(errors).toEqual([]);

    await stopGroup(first.child, 'SIGINT');
    expectCleanStop(first);
  });

  it('a second start reuses the data: the message is still there, nothing is rebuilt or migrated again', async () => {
    const second = await npmStart();
    expect(second.output()).toMatch(/chat: database schema up to date/);
    expect(second.output()).toMatch(/chat: web app up to date/);
    const page = await browser.newPage();
    await joinChat(page, `http://127.0.0.1:${port}`, 'Dana');
    await messageItem(page, 'Hello from a fresh clone').waitFor();
    await page.close();
    await stopGroup(second.child, 'SIGINT');
    expectCleanStop(second);
  });
});
