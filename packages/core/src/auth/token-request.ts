import type { TokenRequest } from '@rowcast/protocol';
import { hmacSha256, safeEqual } from './crypto.js';

/** How far a TokenRequest's timestamp may be from the server's clock, either way (Ably allows minutes of skew). */
export const TOKEN_REQUEST_WINDOW_MS = 5 * 60_000;

/** The fields a TokenRequest MAC covers, as they arrive on the wire (numbers or strings, any may be absent). */
export interface SignableTokenRequest {
  keyName: string;
  ttl?: number | string;
  capability?: string;
  clientId?: string;
  timestamp?: number | string;
  nonce?: string;
}

/**
 * The text a TokenRequest MAC signs, as the SDK builds it (spec RSA9): keyName, ttl, capability, clientId,
 * timestamp and nonce, each followed by a newline, absent fields as empty strings.
 */
export function tokenRequestSignText(req: SignableTokenRequest): string {
  const field = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  return `${[req.keyName, req.ttl, req.capability, req.clientId, req.timestamp, req.nonce].map(field).join('\n')}\n`;
}

/** `base64(HMAC-SHA256(secret, signText))`: the MAC the SDK puts in a TokenRequest. */
export function tokenRequestMac(req: SignableTokenRequest, secret: string): string {
  return hmacSha256(tokenRequestSignText(req), secret).toString('base64');
}

/** Whether `req.mac` is the MAC of its fields under `secret` (constant-time comparison). */
export function verifyTokenRequestMac(req: SignableTokenRequest & { mac?: unknown }, secret: string): boolean {
  return typeof req.mac === 'string' && safeEqual(req.mac, tokenRequestMac(req, secret));
}

/** Builds a signed TokenRequest: the fields given, plus the MAC over them. */
export function signTokenRequest(fields: Omit<TokenRequest, 'mac'>, secret: string): TokenRequest {
  return { ...fields, mac: tokenRequestMac(fields, secret) };
}

/** How much the clocks of a cluster's nodes may differ: a redeemed nonce is remembered this much longer. */
export const NONCE_CLOCK_MARGIN_MS = 30_000;

/**
 * How long a redeemed nonce must be remembered: until its TokenRequest's timestamp leaves the window (up to two
 * windows from now for a request dated ahead), after which the request is refused as stale anyway, plus the
 * margin for another node whose clock runs behind this one's.
 */
export function nonceTtlMs(timestamp: number, now: number): number {
  return Math.max(0, timestamp + TOKEN_REQUEST_WINDOW_MS - now) + NONCE_CLOCK_MARGIN_MS;
}
