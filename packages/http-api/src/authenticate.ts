import type { IncomingMessage } from 'node:http';
import { resolveClientId, type AuthenticatorApi, type Credentials } from '@rowcast/core';
import { ErrorCode, ErrorInfo } from '@rowcast/protocol';

/** A REST caller after authentication: its credentials and the clientId it acts as. */
export interface RestCaller {
  credentials: Credentials;
  /** From `resolveClientId`: undefined = anonymous, `*` = a key/wildcard holder that named no identity. */
  clientId?: string;
}

function fromBase64(text: string): string {
  return Buffer.from(text, 'base64').toString('utf8');
}

/**
 * Reads the token from a Bearer value. The SDK base64-encodes it (JWTs too); a raw token (which always holds a
 * dot, unlike base64) is accepted as well, for curl users.
 */
function bearerToken(value: string): string {
  return value.includes('.') ? value : fromBase64(value);
}

/**
 * Authenticates a request: `Authorization: Basic base64(keyName:secret)` or `Bearer base64(token)`, or the
 * `key` / `access_token` query params. `X-Ably-ClientId` (base64) names the identity to act as. Returns
 * undefined when the request carries no credentials at all.
 */
export function authenticateRequest(req: IncomingMessage, url: URL, auth: AuthenticatorApi): RestCaller | undefined {
  const header = req.headers.authorization;
  let credentials: Credentials | undefined;
  if (header) {
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (space <= 0 || !value) throw new ErrorInfo('Malformed Authorization header', ErrorCode.INVALID_HEADER, 401);
    if (scheme === 'basic') credentials = auth.authenticateKey(fromBase64(value));
    else if (scheme === 'bearer') credentials = auth.authenticateToken(bearerToken(value));
    else throw new ErrorInfo(`Unsupported Authorization scheme "${scheme}"`, ErrorCode.INVALID_HEADER, 401);
  } else if (url.searchParams.has('key')) {
    credentials = auth.authenticateKey(url.searchParams.get('key')!);
  } else if (url.searchParams.has('access_token')) {
    credentials = auth.authenticateToken(url.searchParams.get('access_token')!);
  }
  if (!credentials) return undefined;
  const clientIdHeader = req.headers['x-ably-clientid'];
  const requested = typeof clientIdHeader === 'string' && clientIdHeader ? fromBase64(clientIdHeader) : undefined;
  return { credentials, clientId: resolveClientId(credentials, requested) };
}

/** Like authenticateRequest, but a request without credentials is refused (40101, HTTP 401). */
export function requireCaller(req: IncomingMessage, url: URL, auth: AuthenticatorApi): RestCaller {
  const caller = authenticateRequest(req, url, auth);
  if (!caller) throw new ErrorInfo('No credentials provided', ErrorCode.INVALID_CREDENTIALS, 401);
  return caller;
}
