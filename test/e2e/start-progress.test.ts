import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Ably from 'ably';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { freePort } from '../support/ports.ts';
import { spawnRowcast, until, type SpawnedRowcast } from '../support/rowcast.ts';

/**
 * What a person sees in the terminal running `rowcast start` (log.format pretty, as on a TTY): one progress
 * line per step ending with the URL, no JSON, and warnings and errors still shown.
 */
let db: TestDatabase;
let rowcast: SpawnedRowcast | undefined;
let migrations: string;
const slot = `progress_${process.pid}`;

beforeAll(async () => {
  db = await createTestDatabase('start_progress');
  migrations = mkdtempSync(join(tmpdir(), 'rowcast-progress-'));
  writeFileSync(join(migrations, '001_items.sql'), 'CREATE TABLE items (id serial PRIMARY KEY, name text);');
});

afterAll(async () => {
  await rowcast?.stop();
  await db?.drop();
  rmSync(migrations, { recursive: true, force: true });
});

describe('rowcast start with pretty output', () => {
  it('prints one ✓ line per step and the URL last; a failing rule shows its warning and error; shutdown steps too', async () => {
    const closedPort = await freePort(); // nothing listens there: every webhook delivery fails
    rowcast = await spawnRowcast(
      {
        log: { level: 'info', format: 'pretty' },
        database: { url: db.url },
        apps: [{ name: 'demo', migrations }],
        rules: [
          {
            id: 'hook',
            channelFilter: '^hooked$',
            target: { type: 'http', url: `http://127.0.0.1:${closedPort}/hook` },
            retry: { attempts: 2, backoffBaseMs: 20, backoffMaxMs: 50 },
          },
        ],
        connector: {
          connector: ['INSERT', 'UPDATE', 'DELETE'].map((operation) => ({ tablename: 'items', ablychannelname: 'items-changes', operation })),
          slotName: slot,
          publicationName: slot,
        },
      },
      { env: { DATABASE_URL: db.url } },
    );
    const { port } = rowcast;
    const started = rowcast
      .output()
      .split('\n')
      .filter((l) => l !== '');
    const dbUrl = new URL(db.url);
    expect(started).toEqual([
      '✓ keys: app1.full, app1.sub',
      `✓ realtime and REST listening on port ${port}`,
      `✓ PostgreSQL (${dbUrl.hostname}:${dbUrl.port}/${db.name})`,
      '✓ demo: applied migrations 001_items.sql',
      '✓ rules: 1 rule (hook)',
      '✓ change stream: items -> items-changes',
      `✓ Rowcast is ready at http://127.0.0.1:${port}`,
    ]);

    const rest = new Ably.Rest({ key: rowcast.keys.full, endpoint: '127.0.0.1', port, tls: false, logLevel: 0 });
    await rest.channels.get('hooked').publish('job', { n: 1 });
    await until(() => /^✗ rules: rule delivery failed for the last time/m.test(rowcast!.output()), 'the dead-letter error line');
    expect(rowcast.output()).toMatch(/^⚠ rules: rule delivery failed; will retry: .+/m);
    expect(rowcast.output()).not.toMatch(/^\{/m);

    expect(await rowcast.kill('SIGTERM')).toBe(0);
    const stopped = rowcast
      .output()
      .split('\n')
      .filter((l) => l !== '');
    expect(stopped).toContain('✓ connector stopped');
    expect(stopped).toContain('✓ rules stopped');
    expect(stopped.at(-1)).toBe('✓ Rowcast stopped');
  });
});
