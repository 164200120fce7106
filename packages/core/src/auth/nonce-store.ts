/**
 * Remembers the nonces of redeemed signed TokenRequests, so that one signed TokenRequest yields one token
 * (Ably refuses a replay with 40105 wherever it lands). A port: the memory store serves one node, a shared
 * store (Redis) a cluster, where the same TokenRequest may be sent to every node.
 *
 * Guarantees every implementation must give: for one (keyName, nonce), exactly one call answers true while
 * the first redemption is remembered (`ttlMs` from it), however many nodes ask at once; after that the
 * nonce may be forgotten. When the store cannot tell (unreachable, not answering), the call rejects rather
 * than answer true: the caller refuses the request instead of accepting a possible replay.
 */
export interface NonceStore {
  /**
   * Records that `keyName` redeemed `nonce`, remembered for `ttlMs`; true for the first redemption, false
   * when it is already recorded. Rejects when the answer cannot be known.
   */
  redeem(keyName: string, nonce: string, ttlMs: number): Promise<boolean>;
}
