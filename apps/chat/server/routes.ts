// The chat's server side as an app on Rowcast: `register(app)` is called by the server's app loader with the
// powers every app gets (routes, token signing, a database pool). It imports nothing of Rowcast's internals:
// the interface below is the structural subset of the server's AppContext it uses.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import { ClientIdCookie } from './client-id-cookie.js';
import { parsePaging, readHistory } from './history.js';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface ChatAppContext {
  http: { add(method: string, path: string, handler: Handler): void };
  auth: { createTokenRequest(keyName: string, params: { clientId?: string; capability?: Record<string, string[]>; ttl?: number }): unknown };
  keyName: string;
  db?: pg.Pool;
  logger: { info(msg: string): void; warn(obj: unknown, msg?: string): void; error(obj: unknown, msg?: string): void };
  settings: Record<string, unknown>;
  dataDir: string;
}

/**
 * What a chat browser may do, and nothing more: talk and be present on `outgoing-chat`, read rows and react to
 * them on `incoming-chat`. `subscribe` on outgoing-chat is there because seeing other members (presence.get /
 * presence.subscribe) needs it, as on Ably; the page attaches it without the SUBSCRIBE mode, so it receives
 * presence only. No publish, update or delete on incoming-chat: only the change stream writes rows there; a
 * reaction is an annotation (`annotation-publish`), counted once per clientId.
 */
export const CHAT_CAPABILITY = {
  'incoming-chat': ['annotation-publish', 'history', 'subscribe'],
  'outgoing-chat': ['presence', 'publish', 'subscribe'],
};

/** Registers `GET /auth/token` and `GET /api/messages`. */
export function register(app: ChatAppContext): void {
  const cookie = new ClientIdCookie(cookieSecret(app));
  const ttl = typeof app.settings.tokenTtlMs === 'number' ? app.settings.tokenTtlMs : 60 * 60_000;

  app.http.add('GET', '/auth/token', (req, res) => {
    const clientId = cookie.clientIdFor(req, res);
    const tokenRequest = app.auth.createTokenRequest(app.keyName, { clientId, capability: CHAT_CAPABILITY, ttl });
    sendJson(res, 200, tokenRequest);
    return true;
  });

  app.http.add('GET', '/api/messages', async (_req, res, url) => {
    if (!app.db) {
      sendJson(res, 503, { error: { code: 50300, statusCode: 503, message: 'the chat has no database' } });
      return true;
    }
    const paging = parsePaging(url);
    if ('error' in paging) {
      sendJson(res, 400, { error: { code: 40000, statusCode: 400, message: paging.error } });
      return true;
    }
    try {
      sendJson(res, 200, { messages: await readHistory(app.db, paging.before, paging.limit) });
    } catch (err) {
      app.logger.error({ err }, 'chat: reading history failed');
      sendJson(res, 500, { error: { code: 50000, statusCode: 500, message: 'could not read messages' } });
    }
    return true;
  });
}

/** The cookie-signing secret: from settings, else a random one kept in the app's data directory. */
function cookieSecret(app: ChatAppContext): Buffer {
  if (typeof app.settings.cookieSecret === 'string' && app.settings.cookieSecret.length >= 16) {
    return Buffer.from(app.settings.cookieSecret);
  }
  const file = join(app.dataDir, 'cookie-secret');
  if (!existsSync(file)) {
    try {
      writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another start wrote it first
    }
  }
  return Buffer.from(readFileSync(file, 'utf8').trim());
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
