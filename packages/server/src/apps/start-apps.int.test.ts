import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database.ts';
import { startRowcast } from '../../../../test/support/rowcast.ts';

// The apps plumbing inside a real server: a user's app with a routes module and static files.
let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase('startapps');
  dir = mkdtempSync(join(tmpdir(), 'rowcast-app-'));
  mkdirSync(join(dir, 'public'));
  writeFileSync(join(dir, 'public', 'index.html'), '<!doctype html><title>my app</title>');
  writeFileSync(
    join(dir, 'routes.mjs'),
    `export function register(app) {
       app.http.add('GET', '/hello', (req, res) => {
         res.writeHead(200, { 'content-type': 'application/json' });
         res.end(JSON.stringify({ app: app.name, keyName: app.keyName, greeting: app.settings.greeting, hasDb: !!app.db }));
         return true;
       });
     }`,
  );
  writeFileSync(join(dir, 'no-register.mjs'), 'export const nothing = 1;');
});

afterAll(async () => {
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('apps in the server', () => {
  it('registers routes before static files, serves the SPA fallback, and 404s a missing asset', async () => {
    const rowcast = await startRowcast(
      {
        database: { url: db.url },
        apps: [{ name: 'mine', routes: './routes.mjs', settings: { greeting: 'hi' }, static: { prefix: '/', dir: './public', spa: true } }],
      },
      { configDir: dir },
    );
    try {
      expect(await (await fetch(`${rowcast.url}/hello`)).json()).toEqual({ app: 'mine', keyName: 'app1.full', greeting: 'hi', hasDb: true });
      const page = await fetch(`${rowcast.url}/some/client/route`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>my app</title>');
      expect((await fetch(`${rowcast.url}/assets/missing.js`)).status).toBe(404);
    } finally {
      await rowcast.close();
    }
  });

  it('refuses to start with an invalid apps section, naming the field', async () => {
    await expect(startRowcast({ database: { url: db.url }, apps: [{ name: 'Bad Name', static: {} }] }, { configDir: dir })).rejects.toThrow(
      /apps\.0\.name[\s\S]*apps\.0\.static\.dir/,
    );
  });

  it('refuses a routes module without register()', async () => {
    await expect(startRowcast({ database: { url: db.url }, apps: [{ name: 'x', routes: './no-register.mjs' }] }, { configDir: dir })).rejects.toThrow(
      /does not export register\(\)/,
    );
  });
});
