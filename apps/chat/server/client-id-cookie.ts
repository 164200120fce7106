import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The cookie that carries a browser's chat identity across reloads and token renewals. */
export const COOKIE_NAME = 'rowcast_chat_client';
const ONE_YEAR_S = 365 * 24 * 3600;

/**
 * A browser's stable clientId, kept in an HttpOnly cookie signed with HMAC-SHA256: the browser cannot read it
 * (no script can steal it) nor forge another user's id (the server checks the signature).
 */
export class ClientIdCookie {
  constructor(private readonly secret: Buffer) {}

  /** The clientId of a valid cookie on `req`, else a new one (set on `res`, so the next request carries it). */
  clientIdFor(req: IncomingMessage, res: ServerResponse): string {
    const existing = this.verify(readCookie(req.headers.cookie, COOKIE_NAME));
    if (existing) return existing;
    const clientId = `chat-${randomBytes(12).toString('base64url')}`;
    const secure = isHttps(req) ? '; Secure' : '';
    res.setHeader('Set-Cookie', `${COOKIE_NAME}=${clientId}.${this.sign(clientId)}; Path=/; Max-Age=${ONE_YEAR_S}; HttpOnly; SameSite=Lax${secure}`);
    return clientId;
  }

  /** The clientId inside `value` when its signature is right. */
  verify(value: string | undefined): string | undefined {
    if (!value) return undefined;
    const dot = value.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const clientId = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.sign(clientId), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return /^chat-[A-Za-z0-9_-]{16}$/.test(clientId) ? clientId : undefined;
  }

  private sign(clientId: string): string {
    return createHmac('sha256', this.secret).update(`chat-client:${clientId}`).digest('base64url');
  }
}

/** The value of cookie `name` in a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

function isHttps(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true || req.headers['x-forwarded-proto'] === 'https';
}
