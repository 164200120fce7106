import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Whether the request carries `Authorization: Bearer <one of secrets>` (compared in constant time). */
export function hasBearer(req: IncomingMessage, secrets: Array<string | undefined>): boolean {
  const header = req.headers.authorization;
  if (!header?.toLowerCase().startsWith('bearer ')) return false;
  const given = Buffer.from(header.slice(7).trim());
  return secrets.some((secret) => {
    if (!secret) return false;
    const expected = Buffer.from(secret);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

/** Answers an operator route's refusal in Ably's error shape: 401 without credentials, 403 with wrong ones. */
export function refuse(req: IncomingMessage, res: ServerResponse, what: string): void {
  const present = Boolean(req.headers.authorization);
  const status = present ? 403 : 401;
  const error = present
    ? { code: 40300, statusCode: 403, message: `${what}: these credentials do not grant access` }
    : { code: 40101, statusCode: 401, message: `${what}: send Authorization: Bearer <admin key>` };
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'www-authenticate': 'Bearer' });
  res.end(JSON.stringify({ error }));
}
