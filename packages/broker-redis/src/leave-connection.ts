import { randomBytes } from 'node:crypto';
import { PresenceAction } from '@rowcast/protocol';
import type { AcceptedPresence, PresenceStore } from '@rowcast/core';

/** The node method that applies presence changes and publishes them (RealtimeNode.publishPresence). */
export type PublishPresence = (channel: string, presence: AcceptedPresence[], eventId: string, connectionId?: string) => Promise<void>;

/**
 * Makes every member of a connection leave, channel by channel, as the node that held the connection would
 * have after the presence delay: LEAVEs carry the member's data, and ids not prefixed by the connectionId
 * mark them as server-synthesized (clients order those by timestamp).
 */
export async function leaveConnectionPresence(
  store: PresenceStore,
  publishPresence: PublishPresence,
  connectionId: string,
  now: number,
): Promise<void> {
  const byChannel = new Map<string, AcceptedPresence[]>();
  for (const { channel, member } of await store.membersOfConnection(connectionId)) {
    let list = byChannel.get(channel);
    if (!list) byChannel.set(channel, (list = []));
    list.push(member);
  }
  for (const [channel, members] of byChannel) {
    const tag = randomBytes(6).toString('base64url');
    const leaves = members.map((m, i): AcceptedPresence => {
      const leave: AcceptedPresence = {
        id: `leave-${tag}:${connectionId}:${i}`,
        action: PresenceAction.LEAVE,
        clientId: m.clientId,
        connectionId,
        timestamp: now,
      };
      if (m.data !== undefined) leave.data = m.data;
      if (m.encoding) leave.encoding = m.encoding;
      return leave;
    });
    await publishPresence(channel, leaves, `leave-${tag}`, connectionId);
  }
}
