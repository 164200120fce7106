import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import { decodeBase64Text, hmacSha256, safeEqual } from './crypto.js';
import { USER_CLAIM_PREFIXES } from './user-claim.js';

/** What an Ably-style JWT says once its signature checked out. */
export interface JwtClaims {
  keyName: string;
  /** `x-ably-clientId`. */
  clientId?: string;
  /** `x-ably-capability`: JSON text (or an object, tolerated); absent means the key's capability. */
  capability?: unknown;
  /** `iat` in ms. */
  issued: number;
  /** `exp` in ms. */
  expires: number;
  /** `x-ably-token`: an embedded Rowcast token, when the JWT only wraps one. */
  embeddedToken?: string;
  /** `x-ably-revocation-key`: what a `revocationKey:` revocation names. */
  revocationKey?: string;
  /** `ably.room.<room>` / `ably.channel.<channel>` string claims, by claim name (see user-claim.ts). */
  userClaims?: Record<string, string>;
}

function b64url(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function badJwt(message: string): ErrorInfo {
  return new ErrorInfo(`Invalid JWT: ${message}`, ErrorCode.INVALID_JWT_FORMAT, 401);
}

function parsePart(part: string | undefined): Record<string, unknown> | undefined {
  const text = part === undefined ? undefined : decodeBase64Text(part);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The JWT's user claims (string values of `ably.room.*` and `ably.channel.*` claims); undefined when none. */
function userClaimsOf(claims: Record<string, unknown>): Record<string, string> | undefined {
  let found: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(claims)) {
    if (typeof value !== 'string' || !USER_CLAIM_PREFIXES.some((p) => name.startsWith(p))) continue;
    found ??= {};
    found[name] = value;
  }
  return found;
}

/** Whether a string has the shape of a JWT (three dot-separated base64url parts). */
export function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
}

/**
 * Creates an Ably-style HS256 JWT signed with a key: header `kid` = key name, claims `iat`/`exp` in seconds,
 * `x-ably-capability` as JSON text, `x-ably-clientId` and `x-ably-revocation-key`. For apps' auth endpoints and tests.
 */
export function createJwt(
  key: { name: string; secret: string },
  opts: { ttlMs: number; capability?: Record<string, string[]>; clientId?: string; now?: number; revocationKey?: string },
): string {
  const iat = Math.floor((opts.now ?? Date.now()) / 1000);
  const claims: Record<string, unknown> = { iat, exp: iat + Math.ceil(opts.ttlMs / 1000) };
  if (opts.capability) claims['x-ably-capability'] = JSON.stringify(opts.capability);
  if (opts.clientId !== undefined) claims['x-ably-clientId'] = opts.clientId;
  if (opts.revocationKey !== undefined) claims['x-ably-revocation-key'] = opts.revocationKey;
  const signingInput = `${b64url({ typ: 'JWT', alg: 'HS256', kid: key.name })}.${b64url(claims)}`;
  return `${signingInput}.${hmacSha256(signingInput, key.secret).toString('base64url')}`;
}

/**
 * Verifies an HS256 JWT whose `kid` names a key. Only HS256 is accepted (never `none`). Throws 40144 when
 * malformed, 40400 (404) for a key of an app not hosted here, 40143 for an unknown key of a hosted app, 40101 on a bad signature, 40142 when `exp` has passed at `now`, and 40140 (a
 * token error the SDK answers by fetching a new token) while `nbf` is still ahead of `now` (RFC 7519 4.1.5).
 */
export function verifyJwt(
  token: string,
  secretOf: (keyName: string) => string | undefined,
  now: number,
  /** Whether an app (the part of a key name before the dot) is hosted here; default: any. */
  appHosted: (appId: string) => boolean = () => true,
): JwtClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw badJwt('expected three parts');
  const header = parsePart(parts[0]);
  const claims = parsePart(parts[1]);
  if (!header || !claims) throw badJwt('header and claims must be base64url JSON objects');
  if (header.alg !== 'HS256') throw badJwt('only HS256 is supported');
  if (typeof header.kid !== 'string') throw badJwt('header needs kid = the key name');
  const secret = secretOf(header.kid);
  if (secret === undefined) {
    // As Ably: a key of an app this server does not host is "not found", a key of a hosted app is unrecognised.
    const appId = header.kid.split('.')[0]!;
    if (!appHosted(appId)) throw new ErrorInfo(`No application found with id ${appId}`, ErrorCode.NOT_FOUND, 404);
    throw new ErrorInfo('JWT signed by an unknown key', ErrorCode.TOKEN_UNRECOGNISED, 401);
  }
  const expected = hmacSha256(`${parts[0]}.${parts[1]}`, secret).toString('base64url');
  if (!safeEqual(parts[2]!, expected)) throw new ErrorInfo('Invalid JWT signature', ErrorCode.INVALID_CREDENTIALS, 401);
  const { exp, iat, nbf } = claims;
  if (typeof exp !== 'number') throw badJwt('claim exp (seconds) is required');
  if (iat !== undefined && typeof iat !== 'number') throw badJwt('claim iat must be a number of seconds');
  if (nbf !== undefined && typeof nbf !== 'number') throw badJwt('claim nbf must be a number of seconds');
  const clientId = claims['x-ably-clientId'];
  if (clientId !== undefined && typeof clientId !== 'string') throw badJwt('x-ably-clientId must be a string');
  const embedded = claims['x-ably-token'];
  if (embedded !== undefined && typeof embedded !== 'string') throw badJwt('x-ably-token must be a string');
  const revocationKey = claims['x-ably-revocation-key'];
  if (revocationKey !== undefined && typeof revocationKey !== 'string') throw badJwt('x-ably-revocation-key must be a string');
  if (exp * 1000 <= now) throw new ErrorInfo('Token expired', ErrorCode.TOKEN_EXPIRED, 401);
  if (nbf !== undefined && nbf * 1000 > now) {
    throw new ErrorInfo(`Token not yet valid: nbf is ${new Date(nbf * 1000).toISOString()}`, ErrorCode.TOKEN_ERROR, 401);
  }
  return {
    revocationKey,
    userClaims: userClaimsOf(claims),
    keyName: header.kid,
    clientId,
    capability: claims['x-ably-capability'],
    issued: typeof iat === 'number' ? iat * 1000 : now,
    expires: exp * 1000,
    embeddedToken: embedded,
  };
}
