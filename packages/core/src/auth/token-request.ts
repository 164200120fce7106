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
  return [req.keyName, req.ttl, req.capability, req.clientId, req.timestamp, req.nonce].map(field).join('\n') + '\n';
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

/**
 * Nonces of TokenRequests already redeemed, remembered while their timestamp is still inside the window (after
 * that the request is refused as stale anyway), so memory stays bounded by the issue rate times the window.
 */
export class NonceMemory {
  private readonly seen = new Map<string, number>();
  private nextPrune = 0;

  constructor(private readonly windowMs = TOKEN_REQUEST_WINDOW_MS) {}

  /** Records a nonce; false when this key already used it inside the window (a replay). */
  remember(keyName: string, nonce: string, timestamp: number, now: number): boolean {
    this.prune(now);
    const id = `${keyName}\n${nonce}`;
    const until = this.seen.get(id);
    if (until !== undefined && until >= now) return false;
    this.seen.set(id, timestamp + this.windowMs);
    return true;
  }

  /** How many nonces are remembered (for tests and metrics). */
  get size(): number {
    return this.seen.size;
  }

  private prune(now: number): void {
    if (now < this.nextPrune) return;
    this.nextPrune = now + Math.min(this.windowMs, 30_000);
    for (const [id, until] of this.seen) if (until < now) this.seen.delete(id);
  }
}
