import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** HMAC-SHA256 of `text` keyed with `secret` (both UTF-8), as raw bytes. */
export function hmacSha256(text: string, secret: string): Buffer {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(text, 'utf8').digest();
}

/** Compares two strings in constant time for equal lengths (secrets, MACs, signatures). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A random URL-safe string, for nonces and token uniqueness. */
export function randomId(bytes = 12): string {
  return randomBytes(bytes).toString('base64url');
}

/** Decodes base64url (or plain base64) text into a UTF-8 string; undefined when it is not base64 at all. */
export function decodeBase64Text(text: string): string | undefined {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return undefined;
  return Buffer.from(text, 'base64url').toString('utf8');
}
