import type { Capability, TokenDetails, TokenRequest } from '@rowcast/protocol';

/**
 * The contract of core/auth: pure functions and one stateful Authenticator (its NonceStore). Used by the
 * connection handshake (transport-ws + core), by the REST layer, and by the apps' token endpoints.
 */

/** An API key as configured: `name` is `appId.keyId`, like Ably's. */
export interface ApiKey {
  name: string;
  secret: string;
  capability: Capability;
  /** Tokens issued by this key can be revoked (Ably's per-key "revocable tokens" setting); off by default. */
  revocableTokens?: boolean;
}

/** What a request or connection is allowed to do, after authentication. */
export interface Credentials {
  kind: 'basic' | 'token' | 'jwt';
  keyName: string;
  /** Authenticated clientId: undefined = anonymous, `*` = may act as any clientId. */
  clientId?: string;
  capability: Capability;
  /** Expiry in ms since epoch; undefined for basic (key) auth. */
  expires?: number;
  /** Issue time of the token in ms since epoch; undefined for basic (key) auth. */
  issued?: number;
  /** Whether the token can be revoked (issued by a key with revocable tokens). */
  revocable?: boolean;
  /** A JWT's `x-ably-revocation-key`: a `revocationKey:` revocation target. */
  revocationKey?: string;
  /** A JWT's user claims by claim name (`ably.room.<room>`, `ably.channel.<channel>`): see userClaimFor. */
  userClaims?: Record<string, string>;
}

/** `POST /keys/{keyName}/revokeTokens` as the SDK's `auth.revokeTokens` sends it. */
export interface RevokeTokensRequest {
  targets?: unknown;
  issuedBefore?: unknown;
  allowReauthMargin?: unknown;
}

/** One target's outcome, as Ably answers (TokenRevocationSuccessResult / FailureResult). */
export type RevokeTokensResult =
  | { target: string; issuedBefore: number; appliesAt: number }
  | { target: string; error: { code: number; statusCode: number; message: string } };

/** Operations a capability can grant (Ably's names). */
export type Operation =
  | 'publish'
  | 'subscribe'
  | 'presence'
  | 'history'
  | 'stats'
  | 'channel-metadata'
  | 'push-subscribe'
  | 'push-admin'
  | 'object-subscribe'
  | 'object-publish'
  | 'annotation-subscribe'
  | 'annotation-publish'
  | 'message-update-own'
  | 'message-update-any'
  | 'message-delete-own'
  | 'message-delete-any';

export interface AuthenticatorApi {
  /** `keyName:secret` (realtime `key=`, REST Basic). Throws ErrorInfo 40101 (unknown key / wrong secret). */
  authenticateKey(key: string): Credentials;
  /**
   * A Rowcast token or a JWT (realtime `access_token=`, REST Bearer after base64-decoding).
   * Throws ErrorInfo 40142 when expired, 40140/40143/40144 when malformed or unrecognised, 40101 on a bad signature.
   */
  authenticateToken(token: string): Credentials;
  /**
   * `POST /keys/{keyName}/requestToken` with a signed TokenRequest: verifies the MAC, refuses a replayed nonce
   * (40105) or a stale timestamp (40104), and issues a token whose capability is the intersection of the request's
   * and the key's. With `authorizedBy` (a Basic/token-authenticated caller) an unsigned request is allowed.
   * Asynchronous because the nonce is redeemed in the NonceStore (shared by a cluster); when that store cannot
   * answer, rejects with 50000 rather than accept a possible replay.
   */
  requestToken(keyName: string, request: Partial<TokenRequest> & Record<string, unknown>, authorizedBy?: Credentials): Promise<TokenDetails>;
  /** Builds a signed TokenRequest server-side (what `Ably.Rest#createTokenRequest` does), for apps' auth endpoints. */
  createTokenRequest(keyName: string, params: { clientId?: string; capability?: Capability; ttl?: number }): TokenRequest;
  /** The secret of a configured key, undefined when unknown (integration rules sign webhooks with it). */
  keySecret?(keyName: string): string | undefined;
  /**
   * Revokes the tokens of `keyName` matching each target (`clientId:<id>`, `revocationKey:<key>`), issued before
   * `issuedBefore` (default now), from now or, with `allowReauthMargin`, 30 s from now. Needs Basic auth with that
   * very key (40162 for a token, 40133 for another key) and a key with revocable tokens (40163). A bad target fails
   * alone; a bad `issuedBefore` (future, older than an hour) fails the request (40003). Every node learns the
   * revocation through the RevocationStore before this resolves.
   */
  revokeTokens?(keyName: string, request: RevokeTokensRequest, caller: Credentials): Promise<RevokeTokensResult[]>;
  /** Whether token credentials were revoked since they were authenticated (a live connection checks again). */
  isRevoked?(credentials: Credentials): boolean;
  /** Calls `listener` with the time each new revocation applies (connections holding revoked tokens go then). */
  onRevocation?(listener: (appliesAt: number) => void): void;
  /** Resolves once the revocations already in force are known (the RevocationStore's first answer). */
  ready?(): Promise<void>;
}

/** Whether `capability` allows `operation` on `channel` (`*` and `prefix*` resources, `*` operation). */
export type CapabilityCheck = (capability: Capability, channel: string, operation: Operation) => boolean;
