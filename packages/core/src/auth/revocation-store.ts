/**
 * One token revocation (Ably's `POST /keys/{keyName}/revokeTokens`): tokens of `keyName` matching `target`
 * (`clientId:<id>` or `revocationKey:<key>`) and issued before `issuedBefore` are refused from `appliesAt` on.
 */
export interface TokenRevocation {
  keyName: string;
  target: string;
  /** ms since epoch: tokens issued at or after it are not affected. */
  issuedBefore: number;
  /** ms since epoch: when the revocation takes effect (later than now with `allowReauthMargin`). */
  appliesAt: number;
}

/**
 * Where token revocations are kept and how they reach every node. Tokens are self-contained (verified on any
 * node from their signature), so each node keeps the revocations in memory and checks tokens against them
 * synchronously; this port shares them. A port: the memory store serves one node, a shared store (Redis) a
 * cluster.
 *
 * Guarantees every implementation must give:
 * - Once `revoke` resolved, every listener of every store on the same backend has been, or is about to be,
 *   given the revocation (at once on the node that revoked, within a pub/sub hop elsewhere).
 * - `subscribe` first hands the listener every revocation still in force (a node that starts late, or
 *   reconnects, learns the older ones), then each new one; a revocation may be handed more than once.
 * - Revocations older than `retainMs` after their `issuedBefore` may be forgotten (no token they cover is
 *   still valid then).
 * - When the store cannot record a revocation, `revoke` rejects (the caller answers with an error, never with
 *   a success that not every node saw).
 */
export interface RevocationStore {
  /** Records revocations and makes them known to every node. */
  revoke(revocations: TokenRevocation[]): Promise<void>;
  /** Hands `listener` the revocations in force, then every new one; resolves once the first batch was handed. */
  subscribe(listener: (revocations: TokenRevocation[]) => void): Promise<void>;
  /** Stops delivering (the node is closing). */
  close(): Promise<void>;
}
