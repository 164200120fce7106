import { ErrorCode, ErrorInfo, type ProtocolMessage } from '@rowcast/protocol';
import type { RealtimeConnection } from './connection.js';
import { resolveIdentity } from './identity.js';

/**
 * AUTH from a client (in-band token renewal, RTN22): verify the new token, keep the connection's clientId
 * (a token for another clientId is refused with 40102), re-arm expiry, answer CONNECTED with the same
 * connectionId so the SDK emits `update` and keeps everything.
 */
export function handleAuth(conn: RealtimeConnection, pm: ProtocolMessage): void {
  const token = pm.auth?.accessToken;
  if (typeof token !== 'string' || token.length === 0) {
    throw new ErrorInfo('AUTH needs auth.accessToken', ErrorCode.BAD_REQUEST, 400);
  }
  let identity;
  let creds;
  try {
    creds = conn.ctx.auth.authenticateToken(token);
    identity = resolveIdentity(creds, conn.identity.clientId);
  } catch (err) {
    // A token the server will not take ends the connection's authority: the client must reconnect with a good one.
    conn.sendError(err);
    conn.close();
    return;
  }
  if (identity.clientId !== conn.identity.clientId) {
    conn.sendError(new ErrorInfo('The new token is for a different clientId', ErrorCode.INCOMPATIBLE_CREDENTIALS, 401));
    conn.close();
    return;
  }
  conn.credentials = creds;
  conn.identity = identity;
  conn.scheduleTokenExpiry();
  conn.send(conn.connectedFrame());
}
