import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as Ably from 'ably';
import pg from 'pg';
import { startRowcast, type TestRowcast } from '../support/rowcast.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFlakyWebhook, type FlakyWebhook } from '../support/flaky-webhook.ts';

/**
 * Dead letters, as an operator meets them: a webhook that keeps failing exhausts its attempts, `rowcast rules`
 * shows what was given up, and once the endpoint is fixed `rowcast rules requeue` hands the messages back to the
 * running server, which delivers them.
 */

const REPO = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

let db: TestDatabase;
let rowcast: TestRowcast;
let hook: FlakyWebhook;

beforeAll(async () => {
  hook = await startFlakyWebhook();
  db = await createTestDatabase('rules_dead');
  rowcast = await startRowcast({
    database: { url: db.url },
    rules: [
      {
        id: 'fragile',
        channelFilter: '^invoices$',
        target: { type: 'http', url: hook.url },
        retry: { attempts: 2, backoffBaseMs: 10, backoffMaxMs: 10 },
      },
    ],
  });
});

afterAll(async () => {
  await rowcast?.close();
  await hook?.close();
  await db?.drop();
});

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(REPO, 'packages/cli/bin/rowcast.js'), 'rules', ...args, '--database', db.url], {
    cwd: REPO,
    env: { ...process.env, DATABASE_URL: '' },
  });
  return stdout;
}

describe('dead letters', () => {
  it('are listed by `rowcast rules` and delivered after `rowcast rules requeue`', async () => {
    const rest = new Ably.Rest({ key: rowcast.keys.full, endpoint: '127.0.0.1', port: rowcast.port, tls: false });
    await rest.channels.get('invoices').publish('issued', 'inv-1');
    await rest.channels.get('invoices').publish('issued', 'inv-2');

    await expect
      .poll(
        async () => {
          const client = new pg.Client({ connectionString: db.url });
          await client.connect();
          try {
            const { rows } = await client.query(`SELECT count(*)::int AS n FROM rowcast_rule_dead_letters`);
            return rows[0].n;
          } finally {
            await client.end();
          }
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBe(2);
    expect(await cli('status')).toContain('dead letters: 2 (fragile: 2)');
    const listed = (await cli('dead-letters', '--rule', 'fragile'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(listed.map((d) => d.item.data).sort()).toEqual(['inv-1', 'inv-2']);
    expect(listed[0]).toMatchObject({ ruleId: 'fragile', channel: 'invoices', attempts: 2, lastError: expect.stringContaining('HTTP 503') });
    expect(hook.delivered).toEqual([]);

    hook.healthy = true;
    expect(await cli('requeue', '--rule', 'fragile')).toContain('requeued 2 dead letters');
    await expect.poll(() => hook.delivered.length, { timeout: 30_000, interval: 100 }).toBe(2);
    expect(hook.delivered).toEqual(['inv-1', 'inv-2']);
    expect(await cli('status')).toContain('dead letters: 0');
  });
});
