import { ErrorCode, ErrorInfo, type ProtocolMessage } from '@rowcast/protocol';
import { capabilityAllows } from '../auth/index.js';
import type { RealtimeConnection } from './connection.js';
import { resolveIdentity } from './identity.js';
import { leaveAllPresence } from './presence.js';

/**
 * AUTH from a client (in-band token renewal, RTC8): verify the new token, keep the connection's clientId
 * (a token for another clientId is refused with 40102), re-arm the expiry, answer CONNECTED with the
 * same connectionId so the SDK emits `update` and keeps everything. The new capability applies to the channels
 * already attached (see `applyCapability`).
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
  applyCapability(conn);
}

/**
 * Re-checks attached channels against the connection's (new) capability. A channel it may no longer use at all
 * gets a channel ERROR 40160 (the SDK fails that channel) and stops being delivered; a channel it still may use
 * gets the modes its attach asked for as far as the new capability grants them (a token that adds `publish`
 * lets an attached channel publish, as on Ably). Members entered where `presence` is no longer granted leave.
 */
function applyCapability(conn: RealtimeConnection): void {
  const cap = conn.credentials.capability;
  for (const [name, att] of [...conn.attachments]) {
    const can = (op: 'subscribe' | 'publish' | 'presence' | 'history') => capabilityAllows(cap, att.channel, op);
    if (!can('presence') && conn.presenceChannels.has(att.channel)) void leaveAllPresence(conn, att.channel);
    if (!can('subscribe') && !can('publish') && !can('presence') && !can('history')) {
      conn.attachments.delete(name);
      conn.ctx.hub.remove(att.channel, att);
      const denied = new ErrorInfo(`Channel denied access based on the renewed capability (${att.channel})`, ErrorCode.OPERATION_NOT_PERMITTED, 401);
      conn.sendError(denied, name);
      continue;
    }
    att.grant(cap);
  }
}
