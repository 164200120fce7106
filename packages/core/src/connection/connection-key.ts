import { randomBytes } from 'node:crypto';

/** A new connectionId: 9 random bytes, 12 base64url characters. */
export function newConnectionId(): string {
  return randomBytes(9).toString('base64url');
}

/** A new connection key for `id`: `<connectionId>!<16 random base64url characters>`, fresh on every (re)connect. */
export function newConnectionKey(id: string): string {
  return `${id}!${randomBytes(12).toString('base64url')}`;
}

const KEY_FORMAT = /^[A-Za-z0-9_-]{12}![A-Za-z0-9_-]{16}$/;

/**
 * Whether `key` has the shape of a key this server issues. A `resume`/`recover` key that does not is refused
 * with 80018 (invalid format), as Ably does; a well-formed key that is unknown or expired gets 80008.
 */
export function isWellFormedConnectionKey(key: string): boolean {
  return KEY_FORMAT.test(key);
}
