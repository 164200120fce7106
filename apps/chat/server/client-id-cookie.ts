import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseCookie, stringifySetCookie } from 'cookie';

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
    // A malformed header (bad percent-encoding, no '=') only means no valid cookie: the browser gets a new id.
    const existing = this.verify(parseCookie(req.headers.cookie ?? '')[COOKIE_NAME]);
    if (existing) return existing;
    const clientId = `chat-${randomBytes(12).toString('base64url')}`;
    res.setHeader(
      'Set-Cookie',
      stringifySetCookie({
        name: COOKIE_NAME,
        value: `${clientId}.${this.sign(clientId)}`,
        path: '/',
        maxAge: ONE_YEAR_S,
        httpOnly: true,
        sameSite: 'lax',
        secure: isHttps(req),
      }),
    );
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

function isHttps(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true || req.headers['x-forwarded-proto'] === 'https';
}
