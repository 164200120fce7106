/**
 * How long before a token expires the server asks the client to renew it (AUTH, RTN22): 30 s, as Ably's service
 * does (ably-js's own suite relies on it: a 35 s token sees an in-band `update`). A token with 30 s or less left
 * when it is presented gets no AUTH at all: it serves until it expires, then DISCONNECTED 40142 (ably-js's suite
 * checks that for 5 s tokens). So a short-lived bare token (no authUrl, authCallback or key to renew with) stays
 * connected its whole life; an SDK that can renew does so on the AUTH, in-band, or after the 40142 and resumes.
 */
export const RENEWAL_LEAD_MS = 30_000;

/** When to send AUTH for a token with `remainingMs` left: in ms from now, or undefined for no request. */
export function renewalDelayMs(remainingMs: number): number | undefined {
  return remainingMs > RENEWAL_LEAD_MS ? remainingMs - RENEWAL_LEAD_MS : undefined;
}
