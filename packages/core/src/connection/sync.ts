import { randomBytes } from 'node:crypto';
import { Action, Flag, type ProtocolMessage } from '@rowcast/protocol';
import type { RealtimeConnection } from './connection.js';
import { syncFrames } from './presence.js';

/**
 * SYNC from a client (the SDK's `channel.sync()`, RTP19): it asks for the channel's presence members again, and
 * gets them as a presence sync, as after ATTACHED with HAS_PRESENCE. An attachment without presence_subscribe
 * sees no members, so its sync is one empty page. A SYNC for a channel this connection has not attached is
 * dropped: the SDK only sends it on an attached channel, and an ERROR would fail the channel over a race.
 */
export async function handleSync(conn: RealtimeConnection, pm: ProtocolMessage): Promise<void> {
  const name = typeof pm.channel === 'string' ? pm.channel : '';
  const att = conn.attachments.get(name);
  if (!att || att.pending) {
    conn.ctx.logger.debug({ connectionId: conn.id, channel: name }, 'SYNC for a channel not attached: ignored');
    return;
  }
  const members = att.has(Flag.PRESENCE_SUBSCRIBE) ? await conn.ctx.presence.members(att.channel) : [];
  if (conn.attachments.get(name) !== att) return; // detached meanwhile
  const frames = syncFrames(name, members, conn.ctx.config.presenceSyncPageSize);
  // No members: one empty last page (cursor `<syncId>:`), so the SDK's sync still ends.
  if (frames.length === 0) frames.push({ action: Action.SYNC, channel: name, channelSerial: `${randomBytes(6).toString('hex')}:`, presence: [] });
  for (const frame of frames) conn.send(frame);
}
