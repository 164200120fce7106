import { PresenceAction } from '@rowcast/protocol';
import type { AcceptedPresence } from '../node-api.js';
import { memberKey, type PresenceStore } from '../ports/presence-store.js';

/** PresenceStore in process memory. Maps keep insertion order, so members come back in entry order. */
export class MemoryPresenceStore implements PresenceStore {
  private readonly channels = new Map<string, Map<string, AcceptedPresence>>();

  async apply(channel: string, event: AcceptedPresence): Promise<boolean> {
    let members = this.channels.get(channel);
    const key = memberKey(event);
    if (event.action === PresenceAction.LEAVE || event.action === PresenceAction.ABSENT) {
      const removed = members?.delete(key) ?? false;
      if (members && members.size === 0) this.channels.delete(channel);
      return removed;
    }
    if (!members) {
      members = new Map();
      this.channels.set(channel, members);
    }
    members.set(key, { ...event, action: PresenceAction.PRESENT });
    return true;
  }

  async members(channel: string): Promise<AcceptedPresence[]> {
    return [...(this.channels.get(channel)?.values() ?? [])];
  }

  async membersOfConnection(connectionId: string): Promise<Array<{ channel: string; member: AcceptedPresence }>> {
    const out: Array<{ channel: string; member: AcceptedPresence }> = [];
    for (const [channel, members] of this.channels) {
      for (const member of members.values()) if (member.connectionId === connectionId) out.push({ channel, member });
    }
    return out;
  }
}
