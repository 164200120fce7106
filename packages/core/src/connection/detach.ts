import { Action, type ProtocolMessage } from '@rowcast/protocol';
import type { RealtimeConnection } from './connection.js';
import { leaveAllPresence } from './presence.js';

/** DETACH: stop delivering the channel, leave its presence (as Ably does), answer DETACHED. */
export async function handleDetach(conn: RealtimeConnection, pm: ProtocolMessage): Promise<void> {
  const name = typeof pm.channel === 'string' ? pm.channel : '';
  const att = conn.attachments.get(name);
  if (att) {
    conn.attachments.delete(name);
    conn.ctx.hub.remove(att.channel, att);
    await leaveAllPresence(conn, att.channel);
  }
  conn.send({ action: Action.DETACHED, channel: name });
}
