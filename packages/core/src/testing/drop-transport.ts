import { connectionById, type RealtimeNode } from '../node.js';

/**
 * Drops a connection's transport on `node` as a network failure would (no CLOSE): its state stays for a resume,
 * unless `discardState`, which forgets it as an expiry or a node restart would (a resume then fails with 80008).
 * For tests; false when the connection is unknown or has no transport.
 */
export function dropTransport(node: RealtimeNode, connectionId: string, opts: { discardState?: boolean } = {}): boolean {
  const conn = connectionById(node, connectionId);
  const link = conn?.link;
  if (!conn || !link) return false;
  link.terminate();
  conn.transportClosed(link);
  if (opts.discardState) conn.expire();
  return true;
}
