import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import { decodeBase64Text, hmacSha256, randomId, safeEqual } from './crypto.js';

/** Default lifetime of an issued token (Ably's): 60 minutes. */
export const DEFAULT_TOKEN_TTL_MS = 60 * 60_000;
/** Longest lifetime a token may have: 24 hours (Ably's); longer requests are refused with 40003. */
export const MAX_TOKEN_TTL_MS = 24 * 60 * 60_000;

/** What a Rowcast token carries. Every node holding the key can verify it: no shared state. */
export interface TokenClaims {
  keyName: string;
  clientId?: string;
  /** Canonical capability JSON text. */
  capability: string;
  issued: number;
  expires: number;
  /** Issued by a key with revocable tokens: revocations apply to it. */
  revocable?: boolean;
}

interface WireClaims {
  k: string;
  c?: string;
  p: string;
  i: number;
  x: number;
  /** Random, so two tokens issued in the same millisecond differ. */
  n: string;
  /** 1 when revocable. */
  v?: 1;
}

const SIGNATURE_CONTEXT = 'rowcast-token-v1.';

function sign(payload: string, secret: string): string {
  return hmacSha256(SIGNATURE_CONTEXT + payload, secret).toString('base64url');
}

/** Mints a token string: `base64url(claims).base64url(HMAC-SHA256(secret, context + payload))`. */
export function mintToken(claims: TokenClaims, secret: string): string {
  const wire: WireClaims = { k: claims.keyName, p: claims.capability, i: claims.issued, x: claims.expires, n: randomId(6) };
  if (claims.clientId !== undefined) wire.c = claims.clientId;
  if (claims.revocable) wire.v = 1;
  const payload = Buffer.from(JSON.stringify(wire), 'utf8').toString('base64url');
  return `${payload}.${sign(payload, secret)}`;
}

/** Whether a string has the shape of a Rowcast token (two dot-separated parts; a JWT has three). */
export function looksLikeRowcastToken(token: string): boolean {
  return token.split('.').length === 2;
}

/**
 * Reads and verifies a Rowcast token. `secretOf` finds the key's secret (undefined: unknown key -> 40143).
 * Throws 40145 when malformed, 40101 on a bad signature, 40142 when expired at `now`.
 */
export function verifyToken(token: string, secretOf: (keyName: string) => string | undefined, now: number): TokenClaims {
  const [payload, signature] = token.split('.');
  const text = payload === undefined || signature === undefined ? undefined : decodeBase64Text(payload);
  let wire: Partial<WireClaims> | undefined;
  try {
    wire = text === undefined ? undefined : (JSON.parse(text) as Partial<WireClaims>);
  } catch {
    wire = undefined;
  }
  if (
    !wire ||
    typeof wire !== 'object' ||
    typeof wire.k !== 'string' ||
    typeof wire.p !== 'string' ||
    typeof wire.i !== 'number' ||
    typeof wire.x !== 'number' ||
    (wire.c !== undefined && typeof wire.c !== 'string')
  ) {
    throw new ErrorInfo('Invalid token format', ErrorCode.INVALID_TOKEN_FORMAT, 401);
  }
  const secret = secretOf(wire.k);
  if (secret === undefined) throw new ErrorInfo('Token issued by an unknown key', ErrorCode.TOKEN_UNRECOGNISED, 401);
  if (!safeEqual(signature!, sign(payload!, secret))) {
    throw new ErrorInfo('Invalid token signature', ErrorCode.INVALID_CREDENTIALS, 401);
  }
  if (wire.x <= now) throw new ErrorInfo('Token expired', ErrorCode.TOKEN_EXPIRED, 401);
  return { keyName: wire.k, clientId: wire.c, capability: wire.p, issued: wire.i, expires: wire.x, revocable: wire.v === 1 };
}
