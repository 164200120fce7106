/**
 * When the server asks a client to renew its token. Ably asks about 30 s before expiry; a token that lives
 * only seconds gets a third of its remaining life instead, so the client still has time to reach its authUrl
 * or authCallback and send AUTH before the 40142 fallback at expiry.
 */
export const MAX_RENEWAL_LEAD_MS = 30_000;

/** How long before expiry to send AUTH, for a token with `remainingMs` left. */
export function renewalLeadMs(remainingMs: number): number {
  return Math.min(MAX_RENEWAL_LEAD_MS, Math.floor(remainingMs / 3));
}
