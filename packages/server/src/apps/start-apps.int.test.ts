import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { get } from 'node:http';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@rowcast/test-support/database';
import { startRowcast } from '@rowcast/test-support/rowcast';

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
  mkdirSync(join(dir, 'public', 'assets'));
  writeFileSync(join(dir, 'public', 'assets', 'app.js'), 'console.log("0123456789");');
  writeFileSync(join(dir, 'public', '.env'), 'SECRET=1');
  writeFileSync(join(dir, 'public', 'assets', '.env.js'), 'SECRET=1');
  writeFileSync(join(dir, 'outside.txt'), 'not served');
});

afterAll(async () => {
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** The status of a plain GET with `headers` (node:http, which adds no headers of its own). */
function statusOf(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    }).on('error', reject);
  });
}

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

  it('serves files as a static server should: ETag and 304, Range, HEAD, no dotfiles, no traversal', async () => {
    const rowcast = await startRowcast(
      { database: { url: db.url }, apps: [{ name: 'mine', static: { prefix: '/', dir: './public', spa: true } }] },
      { configDir: dir },
    );
    try {
      const asset = `${rowcast.url}/assets/app.js`;
      const first = await fetch(asset);
      expect([first.status, await first.text()]).toEqual([200, 'console.log("0123456789");']);
      expect(first.headers.get('content-type')).toMatch(/javascript/);
      expect(first.headers.get('cache-control')).toBe('public, max-age=3600');
      const etag = first.headers.get('etag');
      expect(etag).toBeTruthy();
      // fetch() adds Cache-Control: no-cache to conditional requests (Fetch spec), so ask as a browser cache would
      expect(await statusOf(asset, { 'if-none-match': etag! })).toBe(304);
      expect(await statusOf(asset, { 'if-modified-since': first.headers.get('last-modified')! })).toBe(304);
      const part = await fetch(asset, { headers: { range: 'bytes=13-22' } });
      expect([part.status, await part.text(), part.headers.get('content-range')]).toEqual([206, '0123456789', 'bytes 13-22/26']);
      expect((await fetch(asset, { headers: { range: 'bytes=500-' } })).status).toBe(416);
      const head = await fetch(asset, { method: 'HEAD' });
      expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([200, '26', '']);
      const page = await fetch(`${rowcast.url}/`);
      expect([page.status, page.headers.get('cache-control')]).toEqual([200, 'no-cache']);
      expect(await (await fetch(`${rowcast.url}/.env`)).text()).not.toContain('SECRET'); // the SPA page instead
      expect((await fetch(`${rowcast.url}/assets/.env.js`)).status).toBe(404);
      expect((await fetch(`${rowcast.url}/assets/%2e%2e/%2e%2e/outside.txt`)).status).not.toBe(200);
      expect(await (await fetch(`${rowcast.url}/assets/%2e%2e/%2e%2e/outside.txt`)).text()).not.toContain('not served');
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
