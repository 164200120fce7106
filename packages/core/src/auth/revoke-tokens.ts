import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import type { ApiKey, Credentials, RevokeTokensRequest, RevokeTokensResult } from './api.js';
import { REVOCATION_TARGET_TYPES } from './revocation-list.js';
import type { TokenRevocation } from './revocation-store.js';

/** How far `allowReauthMargin` postpones a revocation (Ably's 30 s), so clients can renew first. */
export const REAUTH_MARGIN_MS = 30_000;
/** Oldest `issuedBefore` accepted (Ably: an hour in the past). */
export const MAX_ISSUED_BEFORE_AGE_MS = 60 * 60_000;
/** Most targets one request may name. */
export const MAX_REVOCATION_TARGETS = 100;

function badParam(message: string): ErrorInfo {
  return new ErrorInfo(message, ErrorCode.INVALID_PARAMETER_VALUE, 400);
}

/** Who may revoke: Basic auth with the very key that issued the tokens, which must have revocable tokens. */
function checkRevoker(key: ApiKey | undefined, keyName: string, caller: Credentials): ApiKey {
  if (caller.kind !== 'basic') {
    throw new ErrorInfo('Token revocation requires basic auth with the issuing key', ErrorCode.REQUIRES_BASIC_AUTH, 401);
  }
  if (!key) throw new ErrorInfo('Invalid key or key name', ErrorCode.INVALID_CREDENTIALS, 401);
  if (caller.keyName !== keyName) {
    throw new ErrorInfo('Cannot revoke tokens with a different key to the one that issued them', 40133, 401);
  }
  if (!key.revocableTokens) {
    throw new ErrorInfo(
      `Key ${keyName} does not have revocable tokens enabled (set "revocableTokens": true on the key in the config)`,
      ErrorCode.REVOCABLE_TOKENS_NOT_ENABLED,
      400,
    );
  }
  return key;
}

/**
 * Turns a revokeTokens request into revocations and per-target results (a target of an unknown type or without
 * a value fails alone, 40003). Throws for what fails the whole request: wrong auth or key, no targets, a bad
 * `issuedBefore`.
 */
export function planRevocation(
  key: ApiKey | undefined,
  keyName: string,
  request: RevokeTokensRequest,
  caller: Credentials,
  now: number,
): { revocations: TokenRevocation[]; results: RevokeTokensResult[] } {
  checkRevoker(key, keyName, caller);
  const { targets, issuedBefore: rawIssuedBefore, allowReauthMargin } = request;
  if (!Array.isArray(targets) || targets.length === 0 || !targets.every((t) => typeof t === 'string')) {
    throw badParam('targets must be a non-empty list of "type:value" strings');
  }
  if (targets.length > MAX_REVOCATION_TARGETS) throw badParam(`At most ${MAX_REVOCATION_TARGETS} targets per request`);
  let issuedBefore = now;
  if (rawIssuedBefore !== undefined && rawIssuedBefore !== null) {
    if (typeof rawIssuedBefore !== 'number' || !Number.isFinite(rawIssuedBefore)) throw badParam('issuedBefore must be a timestamp in ms');
    if (rawIssuedBefore > now) throw badParam('issuedBefore cannot be in the future');
    if (rawIssuedBefore < now - MAX_ISSUED_BEFORE_AGE_MS) throw badParam('issuedBefore cannot be more than an hour in the past');
    issuedBefore = rawIssuedBefore;
  }
  const appliesAt = allowReauthMargin === true ? now + REAUTH_MARGIN_MS : now;
  const revocations: TokenRevocation[] = [];
  const results = (targets as string[]).map((target): RevokeTokensResult => {
    const colon = target.indexOf(':');
    const type = colon > 0 ? target.slice(0, colon) : '';
    if (!(REVOCATION_TARGET_TYPES as readonly string[]).includes(type) || colon === target.length - 1) {
      const error = badParam(`Invalid revocation target "${target}": expected ${REVOCATION_TARGET_TYPES.map((t) => `${t}:<value>`).join(' or ')}`);
      return { target, error: error.toJSON() };
    }
    revocations.push({ keyName, target, issuedBefore, appliesAt });
    return { target, issuedBefore, appliesAt };
  });
  return { revocations, results };
}
