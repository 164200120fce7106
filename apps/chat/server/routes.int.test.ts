import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import pino from 'pino';
import { createAuthenticator } from '@rowcast/core';
import { createTestDatabase, type TestDatabase } from '@rowcast/test-support/database';
import { applyMigrations } from '@rowcast/server';
import { CHAT_CAPABILITY, register, type ChatAppContext } from './routes.ts';
import { COOKIE_NAME } from './client-id-cookie.ts';

// The chat's HTTP routes on a real HTTP server, with the real authenticator and real PostgreSQL.
const auth = createAuthenticator({ keys: [{ name: 'app1.full', secret: 'fullsecret', capability: { '*': ['*'] } }] });
let db: TestDatabase;
let pool: pg.Pool;
let dataDir: string;
const servers: Server[] = [];

/** Starts a server with the chat's routes, as the app loader would register them. */
async function startChatServer(): Promise<string> {
  type Handler = Parameters<ChatAppContext['http']['add']>[2];
  const routes: Array<{ method: string; path: string; handler: Handler }> = [];
  register({
    http: { add: (method, path, handler) => routes.push({ method, path, handler }) },
    auth,
    keyName: 'app1.full',
    db: pool,
    logger: pino({ level: 'silent' }),
    settings: {},
    dataDir,
  });
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    for (const r of routes) if (r.method === req.method && r.path === url.pathname && (await r.handler(req, res, url))) return;
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  db = await createTestDatabase('chatroutes');
  pool = new pg.Pool({ connectionString: db.url });
  await applyMigrations(pool, 'chat', fileURLToPath(new URL('../migrations', import.meta.url)));
  dataDir = mkdtempSync(join(tmpdir(), 'chat-routes-'));
});

afterAll(async () => {
  for (const s of servers) s.close();
  await pool?.end();
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

function cookieOf(res: Response): string | undefined {
  const set = res.headers.get('set-cookie');
  return set?.split(';')[0];
}

describe('GET /auth/token', () => {
  it('gives a new browser a signed HttpOnly cookie and a TokenRequest for that clientId with the chat capability only', async () => {
    const base = await startChatServer();
    const res = await fetch(`${base}/auth/token`);
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(new RegExp(`^${COOKIE_NAME}=`));
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    const tokenRequest = await res.json();
    expect(tokenRequest.keyName).toBe('app1.full');
    expect(tokenRequest.clientId).toMatch(/^chat-/);
    expect(JSON.parse(tokenRequest.capability)).toEqual(CHAT_CAPABILITY);
    expect(JSON.parse(tokenRequest.capability)['incoming-chat']).not.toContain('publish');
    // The server accepts it (MAC, nonce, timestamp) and issues a token with exactly that clientId and capability.
    const token = await auth.requestToken('app1.full', tokenRequest);
    expect(token.clientId).toBe(tokenRequest.clientId);
    expect(JSON.parse(token.capability)).toEqual(CHAT_CAPABILITY);
  });

  it('keeps the clientId for a browser that sends its cookie, also after a server restart', async () => {
    const base = await startChatServer();
    const first = await fetch(`${base}/auth/token`);
    const cookie = cookieOf(first)!;
    const { clientId } = await first.json();
    const again = await fetch(`${base}/auth/token`, { headers: { cookie } });
    expect(again.headers.get('set-cookie')).toBeNull();
    expect((await again.json()).clientId).toBe(clientId);
    const restarted = await startChatServer(); // same data dir: same secret
    expect((await (await fetch(`${restarted}/auth/token`, { headers: { cookie } })).json()).clientId).toBe(clientId);
  });

  it('ignores a forged cookie and hands out a fresh identity instead', async () => {
    const base = await startChatServer();
    const victim = await (await fetch(`${base}/auth/token`)).json();
    const forged = `${COOKIE_NAME}=${victim.clientId}.${Buffer.from('not the signature').toString('base64url')}`;
    const res = await fetch(`${base}/auth/token`, { headers: { cookie: forged } });
    const body = await res.json();
    expect(body.clientId).not.toBe(victim.clientId);
    expect(res.headers.get('set-cookie')).toContain(body.clientId);
  });

  it('answers a malformed Cookie header (bad percent-encoding, no value) with a new identity, not an error', async () => {
    const base = await startChatServer();
    for (const cookie of [`${COOKIE_NAME}=%E0%A4%A`, `${COOKIE_NAME}`, `;;=;${COOKIE_NAME}=%`, 'other=%ZZ; x']) {
      const res = await fetch(`${base}/auth/token`, { headers: { cookie } });
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.clientId).toMatch(/^chat-/);
      expect(res.headers.get('set-cookie')).toContain(`${COOKIE_NAME}=${body.clientId}.`);
    }
  });
});

describe('GET /api/messages', () => {
  it('pages through the table newest first, with rows shaped as the change stream sends them', async () => {
    const base = await startChatServer();
    await pool.query(`INSERT INTO chat_data (username, msg_id, msg_data, client_id, created_at_timestamp, is_edited)
      SELECT 'u', 'm' || i, 'text ' || i, 'c', 1764400000000 + i, false FROM generate_series(1, 120) i`);
    const page1 = (await (await fetch(`${base}/api/messages`)).json()).messages;
    expect(page1).toHaveLength(50);
    expect(page1[0]).toMatchObject({ msg_id: 'm120', msg_data: 'text 120', created_at_timestamp: 1764400000120, is_edited: false });
    expect(typeof page1[0].incremental_record_id).toBe('number');
    const ids1 = page1.map((r: { incremental_record_id: number }) => r.incremental_record_id);
    expect(ids1).toEqual([...ids1].sort((a, b) => b - a));
    const before = ids1[ids1.length - 1];
    const page2 = (await (await fetch(`${base}/api/messages?before=${before}&limit=50`)).json()).messages;
    expect(page2[0].incremental_record_id).toBeLessThan(before);
    const page3 = (await (await fetch(`${base}/api/messages?before=${page2[49].incremental_record_id}`)).json()).messages;
    expect(page3.map((r: { msg_id: string }) => r.msg_id)).toEqual(Array.from({ length: 20 }, (_, i) => `m${20 - i}`));
  });

  it('refuses bad paging parameters with 400', async () => {
    const base = await startChatServer();
    expect((await fetch(`${base}/api/messages?before=abc`)).status).toBe(400);
    expect((await fetch(`${base}/api/messages?limit=0`)).status).toBe(400);
    expect((await fetch(`${base}/api/messages?limit=1000`)).status).toBe(400);
  });
});
