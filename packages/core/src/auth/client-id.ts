import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import type { Credentials } from './api.js';

/**
 * The identity a connection or REST request acts under, given its credentials and the clientId the client
 * asked for (realtime `clientId=` param, REST `X-Ably-ClientId`). Keys and wildcard (`*`) tokens may take any
 * clientId (or stay anonymous); a token bound to a clientId may only use that one (40102 otherwise); an
 * anonymous token may not claim one (40102). Returns undefined for an anonymous client, `*` for a wildcard
 * client that named no identity.
 */
export function resolveClientId(credentials: Credentials, requested?: string): string | undefined {
  const held = credentials.clientId;
  if (requested === undefined || requested === null || requested === '') return held;
  if (requested === '*') throw new ErrorInfo('clientId "*" is reserved', ErrorCode.CLIENT_ID_NOT_PERMITTED, 400);
  if (held === '*' || held === requested) return requested;
  throw new ErrorInfo(
    `clientId "${requested}" is incompatible with the credentials' clientId ${held === undefined ? '(none)' : `"${held}"`}`,
    ErrorCode.INCOMPATIBLE_CREDENTIALS,
    401,
  );
}

/**
 * Whether a client acting as `actingClientId` (from resolveClientId) may publish a message or presence event
 * carrying `messageClientId`: always when the message names none or the same one; any when acting as `*`.
 */
export function clientIdAllowed(actingClientId: string | undefined, messageClientId: string | undefined): boolean {
  if (messageClientId === undefined || messageClientId === null) return true;
  return actingClientId === '*' || actingClientId === messageClientId;
}
