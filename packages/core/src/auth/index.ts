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
export { DEFAULT_TOKEN_TTL_MS, MAX_TOKEN_TTL_MS } from './token.js';
export { TOKEN_REQUEST_WINDOW_MS, tokenRequestMac, tokenRequestSignText } from './token-request.js';
