import { randomBytes } from 'node:crypto';
import { PresenceAction } from '@rowcast/protocol';
import type { AcceptedPresence, Logger } from '@rowcast/core';
import type { PublishPresence } from './leave-connection.js';
import type { RedisPresenceStore } from './redis-presence-store.js';

/**
 * After Redis came back without (some of) its data: enters again, through the node's normal presence path,
 * every member entered through this node whose connection the node still holds — Ably's re-enter. Each keeps
 * its id, so a member still in Redis is left alone (publishPresence skips a re-enter with the same id), and a
 * subscriber that still shows it ignores the ENTER (the SDK keeps the newer of two entries, and equal ids are
 * not newer): only the views that lost it see it come back. Members of connections gone from this node are
 * not its to restore (their LEAVE, or their new node, decides): they are forgotten.
 */
export async function restorePresence(
  store: RedisPresenceStore,
  publishPresence: PublishPresence,
  holdsConnection: (connectionId: string) => boolean,
  logger: Logger,
): Promise<void> {
  const groups = new Map<string, { channel: string; connectionId: string; members: AcceptedPresence[] }>();
  for (const { channel, member } of store.enteredHere()) {
    if (!holdsConnection(member.connectionId)) {
      store.forget(channel, member);
      continue;
    }
    const key = `${channel}\u0000${member.connectionId}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { channel, connectionId: member.connectionId, members: [] }));
    group.members.push({ ...member, action: PresenceAction.ENTER });
  }
  for (const { channel, connectionId, members } of groups.values()) {
    try {
      await publishPresence(channel, members, `restore-${randomBytes(6).toString('base64url')}`, connectionId);
    } catch (err) {
      logger.error({ err, channel, connectionId }, 'redis broker: re-entering presence members after a Redis change failed');
    }
  }
}
