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
}

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
}

/** Whether `capability` allows `operation` on `channel` (`*` and `prefix*` resources, `*` operation). */
export type CapabilityCheck = (capability: Capability, channel: string, operation: Operation) => boolean;
