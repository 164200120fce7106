import { Action, ErrorCode, ErrorInfo } from '@rowcast/protocol';
import type { EngineContext } from '../context.js';
import type { ConnectionTable } from './connection-table.js';

/** Clients that asked for protocol heartbeats (browsers) get one; the node calls this every half idle interval. */
export function sendHeartbeats(connections: ConnectionTable): void {
  for (const conn of connections.all()) {
    if (conn.heartbeats && conn.state === 'connected') conn.send({ action: Action.HEARTBEAT });
  }
}

/**
 * When a token revocation applies, connections authenticated with a now-revoked token are disconnected with
 * 40141, as Ably does (the SDK then renews its token, or fails when it has no means to).
 */
export function scheduleRevocationSweep(connections: ConnectionTable, ctx: EngineContext, appliesAt: number): void {
  const sweep = () => {
    const revoked = new ErrorInfo('Token revoked', ErrorCode.TOKEN_REVOKED, 401);
    for (const conn of [...connections.all()]) {
      if (conn.state === 'connected' && ctx.auth.isRevoked?.(conn.credentials)) conn.disconnect(revoked);
    }
  };
  const delay = appliesAt - ctx.clock.now();
  if (delay <= 0) sweep();
  else setTimeout(sweep, delay).unref();
}
