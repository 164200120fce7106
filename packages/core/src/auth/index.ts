export * from './api.js';
export { createAuthenticator, type AuthenticatorOptions } from './authenticator.js';
export {
  OPERATIONS,
  capabilityAllows,
  canonicalCapability,
  intersectCapabilities,
  parseCapability,
} from './capability.js';
export { clientIdAllowed, resolveClientId } from './client-id.js';
export { createJwt, looksLikeJwt } from './jwt.js';
export { CHAT_ROOM_SUFFIX, userClaimFor } from './user-claim.js';
export { DEFAULT_TOKEN_TTL_MS, MAX_TOKEN_TTL_MS } from './token.js';
export { NONCE_CLOCK_MARGIN_MS, TOKEN_REQUEST_WINDOW_MS, nonceTtlMs, tokenRequestMac, tokenRequestSignText } from './token-request.js';
export type { NonceStore } from './nonce-store.js';
export { MemoryNonceStore } from './memory-nonce-store.js';
export type { RevocationStore, TokenRevocation } from './revocation-store.js';
export { MemoryRevocationStore } from './memory-revocation-store.js';
export { REAUTH_MARGIN_MS } from './revoke-tokens.js';
