import { ErrorCode, ErrorInfo, type Capability, type TokenDetails, type TokenRequest } from '@rowcast/protocol';
import type { ApiKey, AuthenticatorApi, Credentials } from './api.js';
import { canonicalCapability, capabilityText, intersectCapabilities, parseCapability } from './capability.js';
import { randomId, safeEqual } from './crypto.js';
import { looksLikeJwt, verifyJwt } from './jwt.js';
import { DEFAULT_TOKEN_TTL_MS, MAX_TOKEN_TTL_MS, looksLikeRowcastToken, mintToken, verifyToken } from './token.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import { MemoryNonceStore } from './memory-nonce-store.js';
import type { NonceStore } from './nonce-store.js';
import { TOKEN_REQUEST_WINDOW_MS, nonceTtlMs, signTokenRequest, verifyTokenRequestMac } from './token-request.js';
import { MemoryRevocationStore } from './memory-revocation-store.js';
import { planRevocation } from './revoke-tokens.js';
import { RevocationList } from './revocation-list.js';
import type { RevocationStore, TokenRevocation } from './revocation-store.js';

export interface AuthenticatorOptions {
  keys: ApiKey[];
  /** Milliseconds since epoch; injectable so tests can move time. */
  clock?: () => number;
  /**
   * Where redeemed TokenRequest nonces are remembered: in this process by default (one node); a cluster passes
   * its shared store so a TokenRequest is redeemed once across all nodes.
   */
  nonces?: NonceStore;
  /** Where the details of a failing nonce store go (the client sees a 50000 error). */
  logger?: Logger;
  /**
   * Where token revocations are shared: in this process by default (one node); a cluster passes its shared
   * store so a revocation made through any node refuses the token on every node.
   */
  revocations?: RevocationStore;
}

function invalidKey(): ErrorInfo {
  return new ErrorInfo('Invalid key or key name', ErrorCode.INVALID_CREDENTIALS, 401);
}

function numberField(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new ErrorInfo(`TokenRequest ${name} must be a number`, ErrorCode.INVALID_PARAMETER_VALUE, 400);
  }
  return n;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ErrorInfo(`TokenRequest ${name} must be a string`, ErrorCode.INVALID_PARAMETER_VALUE, 400);
  return value;
}

/**
 * Creates the Authenticator: API keys (Basic), Rowcast tokens and JWTs (Bearer / access_token), the
 * TokenRequest exchange. Tokens are verified from their signature alone, so any node with the same keys accepts
 * them; the only state is the NonceStore of redeemed TokenRequests.
 */
export function createAuthenticator(options: AuthenticatorOptions): AuthenticatorApi {
  const clock = options.clock ?? Date.now;
  const keys = new Map<string, ApiKey>();
  for (const key of options.keys) keys.set(key.name, { ...key, capability: parseCapability(key.capability) });
  const secretOf = (keyName: string) => keys.get(keyName)?.secret;
  const appIds = new Set([...keys.keys()].map((name) => name.split('.')[0]!));
  const nonces = options.nonces ?? new MemoryNonceStore({ now: clock });
  const logger = options.logger ?? silentLogger;
  const revocationStore = options.revocations ?? new MemoryRevocationStore();
  const revoked = new RevocationList();
  const revocationListeners: Array<(appliesAt: number) => void> = [];
  const onRevocations = (list: TokenRevocation[]) => {
    // Every token a revocation older than the longest token lifetime covers has expired on its own.
    revoked.prune(clock() - MAX_TOKEN_TTL_MS);
    revoked.apply(list);
    for (const appliesAt of new Set(list.map((r) => r.appliesAt))) for (const l of revocationListeners) l(appliesAt);
  };
  const revocationsReady = revocationStore.subscribe(onRevocations);
  revocationsReady.catch((err) => logger.error({ err }, 'revocation store: could not load the revocations in force'));

  function refuseRevoked(credentials: Credentials): Credentials {
    if (revoked.isRevoked(credentials, clock())) throw new ErrorInfo('Token revoked', ErrorCode.TOKEN_REVOKED, 401);
    return credentials;
  }

  /** Redeems a verified TokenRequest's nonce; refuses (never accepts) when the store cannot tell. */
  async function redeemNonce(keyName: string, nonce: string, timestamp: number, now: number): Promise<void> {
    let first: boolean;
    try {
      first = await nonces.redeem(keyName, nonce, nonceTtlMs(timestamp, now));
    } catch (err) {
      logger.error({ err, keyName }, 'nonce store failed: TokenRequest refused');
      throw new ErrorInfo(
        'TokenRequest refused: its nonce could not be checked against replays (nonce store unavailable); try again',
        ErrorCode.INTERNAL_ERROR,
        500,
      );
    }
    if (!first) throw new ErrorInfo('TokenRequest nonce value replayed', ErrorCode.NONCE_VALUE_REPLAYED, 401);
  }

  function keyCapabilityOf(keyName: string): Capability {
    const key = keys.get(keyName);
    if (!key) throw new ErrorInfo('Token issued by an unknown key', ErrorCode.TOKEN_UNRECOGNISED, 401);
    return key.capability;
  }

  function authenticateToken(token: string, allowJwt = true): Credentials {
    const now = clock();
    if (allowJwt && looksLikeJwt(token)) {
      const claims = verifyJwt(token, secretOf, now, (appId) => appIds.has(appId));
      if (claims.embeddedToken !== undefined) return authenticateToken(claims.embeddedToken, false);
      const held = keyCapabilityOf(claims.keyName);
      let capability = held;
      if (claims.capability !== undefined) {
        let requested: Capability;
        try {
          requested = parseCapability(claims.capability);
        } catch (err) {
          throw new ErrorInfo(`Invalid JWT: ${(err as Error).message}`, ErrorCode.INVALID_JWT_FORMAT, 401);
        }
        capability = intersectCapabilities(requested, held);
      }
      const revocable = keys.get(claims.keyName)?.revocableTokens === true;
      return refuseRevoked({
        kind: 'jwt',
        keyName: claims.keyName,
        clientId: claims.clientId,
        capability,
        expires: claims.expires,
        issued: claims.issued,
        revocable,
        revocationKey: claims.revocationKey,
        userClaims: claims.userClaims,
      });
    }
    if (!looksLikeRowcastToken(token)) throw new ErrorInfo('Invalid token format', ErrorCode.INVALID_TOKEN_FORMAT, 401);
    const claims = verifyToken(token, secretOf, now);
    // The key's current capability bounds the token: narrowing a key in config narrows its live tokens too.
    const capability = intersectCapabilities(parseCapability(claims.capability), keyCapabilityOf(claims.keyName));
    return refuseRevoked({
      kind: 'token',
      keyName: claims.keyName,
      clientId: claims.clientId,
      capability,
      expires: claims.expires,
      issued: claims.issued,
      revocable: claims.revocable,
    });
  }

  function issue(key: ApiKey, held: Capability, request: Record<string, unknown>, maxExpires?: number): TokenDetails {
    const now = clock();
    const ttl = numberField(request.ttl, 'ttl') ?? DEFAULT_TOKEN_TTL_MS;
    if (ttl <= 0) throw new ErrorInfo('TokenRequest ttl must be positive', ErrorCode.INVALID_PARAMETER_VALUE, 400);
    // Refused, not capped, as Ably does: the client asked for a lifetime it would not get.
    if (ttl > MAX_TOKEN_TTL_MS) {
      throw new ErrorInfo(`TokenRequest ttl exceeds the maximum of ${MAX_TOKEN_TTL_MS} ms`, ErrorCode.INVALID_PARAMETER_VALUE, 400);
    }
    const raw = request.capability;
    const capability = raw === undefined || raw === null || raw === '' ? held : intersectCapabilities(parseCapability(raw), held);
    const clientId = optionalString(request.clientId, 'clientId');
    if (clientId === '') throw new ErrorInfo('clientId can’t be an empty string', ErrorCode.CLIENT_ID_NOT_PERMITTED, 400);
    const expires = Math.min(now + ttl, maxExpires ?? Infinity);
    const text = capabilityText(capability);
    const revocable = key.revocableTokens === true;
    const token = mintToken({ keyName: key.name, clientId, capability: text, issued: now, expires, revocable }, key.secret);
    const details: TokenDetails = { token, keyName: key.name, issued: now, expires, capability: text };
    if (clientId !== undefined) details.clientId = clientId;
    return details;
  }

  return {
    authenticateKey(key: string): Credentials {
      const colon = key.indexOf(':');
      if (colon <= 0) throw invalidKey();
      const found = keys.get(key.slice(0, colon));
      if (!found || !safeEqual(key.slice(colon + 1), found.secret)) throw invalidKey();
      // A key holder is trusted to act as any clientId (Ably's rule for basic auth).
      return { kind: 'basic', keyName: found.name, clientId: '*', capability: found.capability };
    },

    authenticateToken(token: string): Credentials {
      return authenticateToken(token.trim());
    },

    async requestToken(keyName, request, authorizedBy): Promise<TokenDetails> {
      const key = keys.get(keyName);
      if (!key) throw invalidKey();
      if (request.keyName !== undefined && request.keyName !== keyName) {
        throw new ErrorInfo('TokenRequest keyName does not match the request path', ErrorCode.INVALID_CREDENTIALS, 401);
      }
      if (request.mac !== undefined) {
        const timestamp = numberField(request.timestamp, 'timestamp');
        const nonce = optionalString(request.nonce, 'nonce');
        if (timestamp === undefined || !nonce) {
          throw new ErrorInfo('A signed TokenRequest needs timestamp and nonce', ErrorCode.INVALID_PARAMETER_VALUE, 400);
        }
        const signable = { ...request, keyName } as Parameters<typeof verifyTokenRequestMac>[0];
        if (!verifyTokenRequestMac(signable, key.secret)) {
          throw new ErrorInfo('Invalid TokenRequest MAC', ErrorCode.INVALID_CREDENTIALS, 401);
        }
        const now = clock();
        if (Math.abs(now - timestamp) > TOKEN_REQUEST_WINDOW_MS) {
          throw new ErrorInfo('TokenRequest timestamp not current', ErrorCode.TIMESTAMP_NOT_CURRENT, 401);
        }
        await redeemNonce(keyName, nonce, timestamp, now);
        return issue(key, key.capability, request);
      }
      if (!authorizedBy || authorizedBy.keyName !== keyName) {
        throw new ErrorInfo('An unsigned TokenRequest needs the key’s credentials', ErrorCode.INVALID_CREDENTIALS, 401);
      }
      const wanted = request.clientId;
      const held = authorizedBy.clientId;
      if (held !== '*' && wanted !== undefined && wanted !== held) {
        throw new ErrorInfo('Cannot request a token for another clientId', ErrorCode.INCOMPATIBLE_CREDENTIALS, 401);
      }
      const effective = wanted === undefined && held !== '*' ? { ...request, clientId: held } : request;
      return issue(key, authorizedBy.capability, effective, authorizedBy.expires);
    },

    keySecret(keyName: string): string | undefined {
      return secretOf(keyName);
    },

    async revokeTokens(keyName, request, caller) {
      const { revocations, results } = planRevocation(keys.get(keyName), keyName, request, caller, clock());
      if (revocations.length === 0) return results;
      try {
        await revocationStore.revoke(revocations);
      } catch (err) {
        logger.error({ err, keyName }, 'revocation store failed: tokens not revoked');
        throw new ErrorInfo('Tokens not revoked: the revocation store is unavailable; try again', ErrorCode.INTERNAL_ERROR, 500);
      }
      return results;
    },

    isRevoked(credentials: Credentials): boolean {
      return revoked.isRevoked(credentials, clock());
    },

    onRevocation(listener) {
      revocationListeners.push(listener);
    },

    ready: () => revocationsReady,

    createTokenRequest(keyName, params): TokenRequest {
      const key = keys.get(keyName);
      if (!key) throw invalidKey();
      const fields: Omit<TokenRequest, 'mac'> = { keyName, timestamp: clock(), nonce: randomId(16) };
      if (params.ttl !== undefined) fields.ttl = params.ttl;
      if (params.capability !== undefined) fields.capability = canonicalCapability(parseCapability(params.capability));
      if (params.clientId !== undefined) fields.clientId = params.clientId;
      return signTokenRequest(fields, key.secret);
    },
  };
}
