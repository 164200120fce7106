import type { WireFormat } from '@rowcast/protocol';

/**
 * Issue 8: what any node needs to continue a connection that
 * dropped from another node (a resume with the same connectionId), kept for `connectionStateTtl`.
 */
export interface ResumableConnection {
  connectionId: string;
  /** The connectionKey the client will present (`resume=` / `recover=`); a new one is issued on every resume. */
  key: string;
  clientId?: string;
  /** The SDK keeps its wire format across a resume; a resume in another format is refused. */
  format: WireFormat;
  /** Channels on which the connection has presence members (they stay while it is resumable). */
  presenceChannels: string[];
  /** The node that holds the connection now: a node whose leave timer fires checks it is still the holder. */
  nodeId: string;
}

/**
 * Resumable connection state shared by the nodes of a cluster.
 *
 * Guarantees every implementation must give:
 * - `claim` is atomic: of several nodes claiming the same key, at most one gets the state (the key is spent).
 * - State is readable from every node once `save` resolved, until `ttlMs` after the last save, then gone.
 * - `holder` tells whether a connection was claimed by another node since (so the old holder neither leaves its
 *   presence members nor expires it).
 */
export interface ConnectionStateStore {
  /** Saves the state under its connectionId and key, kept for `ttlMs` from now; replaces any older key. */
  save(state: ResumableConnection, ttlMs: number): Promise<void>;
  /** Takes the state of the connection whose current key is `key`, spending the key; undefined if unknown or expired. */
  claim(key: string): Promise<ResumableConnection | undefined>;
  /**
   * The connectionId whose current key is `key`, without spending it (a REST publish on behalf of a connection
   * held by another node); undefined if unknown, superseded or expired.
   */
  connectionIdOf(key: string): Promise<string | undefined>;
  /** The node holding a connection now, or undefined when it is gone. */
  holder(connectionId: string): Promise<string | undefined>;
  /** Forgets a connection (closed for good, or expired on its holder). */
  remove(connectionId: string): Promise<void>;
}
