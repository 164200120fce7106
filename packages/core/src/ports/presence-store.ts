import type { AcceptedPresence } from '../node-api.js';

/**
 * The current presence set of each channel: members keyed by clientId + connectionId (memberKey).
 * Guarantees: `apply` is atomic per channel; members are returned in the order they entered.
 */
export interface PresenceStore {
  /**
   * Applies an accepted presence event: ENTER/UPDATE/PRESENT make the member present (stored with action PRESENT),
   * LEAVE removes it. Returns false when the event changes nothing (a LEAVE of an absent member).
   */
  apply(channel: string, event: AcceptedPresence): Promise<boolean>;
  /** Current members of a channel. */
  members(channel: string): Promise<AcceptedPresence[]>;
  /** Members entered through one connection, on every channel (for leaves when the connection goes). */
  membersOfConnection(connectionId: string): Promise<Array<{ channel: string; member: AcceptedPresence }>>;
}

/** The key that identifies a presence member on a channel. */
export function memberKey(m: { clientId: string; connectionId: string }): string {
  return `${m.connectionId}\u0000${m.clientId}`;
}
