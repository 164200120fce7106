import type { Redis } from 'ioredis';
import { encode } from '@msgpack/msgpack';
import { PresenceAction } from '@rowcast/protocol';
import { memberKey, type AcceptedPresence, type PresenceStore } from '@rowcast/core';
import { decodeBytes, toBuffer } from './event-record.js';
import type { RedisKeys } from './keys.js';
import { withScripts, type RowcastScripts } from './scripts.js';

export interface RedisPresenceOptions {
  redis: Redis;
  keys: RedisKeys;
  /** This node: members entered here are reaped by the others if it dies (see NodeLiveness). */
  nodeId: string;
}

/**
 * PresenceStore in Redis, shared by every node. Per channel: a hash of members and a sorted set giving their
 * entry order; per connection: where its members are. Each change is one Lua script (atomic per channel). A
 * member entered through this node is recorded as owned by it, so that if the node dies the survivors know
 * whose members to remove.
 */
export class RedisPresenceStore implements PresenceStore {
  private readonly redis: Redis & RowcastScripts;
  /**
   * The members applied through this node, per channel and member key: what it enters again when Redis comes
   * back without them (see restorePresence). Kept before Redis is written, so a change made during an outage
   * counts.
   */
  private readonly entered = new Map<string, Map<string, AcceptedPresence>>();

  constructor(private readonly opts: RedisPresenceOptions) {
    this.redis = withScripts(opts.redis);
  }

  async apply(channel: string, event: AcceptedPresence): Promise<boolean> {
    const { keys, nodeId } = this.opts;
    const leave = event.action === PresenceAction.LEAVE || event.action === PresenceAction.ABSENT;
    this.remember(channel, event, leave);
    const body = leave ? '' : toBuffer(encode({ ...event, action: PresenceAction.PRESENT }, { ignoreUndefined: true }));
    const changed = await this.redis.rowcastPresenceApply(
      keys.presenceMembers(channel),
      keys.presenceOrder(channel),
      keys.presenceCounter(),
      keys.connectionPresence(event.connectionId),
      keys.presenceOwners(),
      keys.nodeConnections(nodeId),
      memberKey(event),
      leave ? '1' : '0',
      body,
      channel,
      event.connectionId,
      nodeId,
      keys.nodeKeyPrefix(),
    );
    return changed === 1;
  }

  /** The members applied through this node and not left since (a snapshot). */
  enteredHere(): Array<{ channel: string; member: AcceptedPresence }> {
    const out: Array<{ channel: string; member: AcceptedPresence }> = [];
    for (const [channel, members] of this.entered) for (const member of members.values()) out.push({ channel, member });
    return out;
  }

  /** Forgets a member entered here whose connection is no longer this node's (it closed or moved to another node). */
  forget(channel: string, member: AcceptedPresence): void {
    this.remember(channel, member, true);
  }

  private remember(channel: string, event: AcceptedPresence, leave: boolean): void {
    const key = memberKey(event);
    let members = this.entered.get(channel);
    if (leave) {
      members?.delete(key);
      if (members?.size === 0) this.entered.delete(channel);
      return;
    }
    if (!members) this.entered.set(channel, (members = new Map()));
    members.set(key, { ...event, action: PresenceAction.PRESENT });
  }

  async members(channel: string): Promise<AcceptedPresence[]> {
    const { keys } = this.opts;
    const order = await this.redis.zrange(keys.presenceOrder(channel), '0', '-1');
    if (order.length === 0) return [];
    const bodies = await this.redis.hmgetBuffer(keys.presenceMembers(channel), ...order);
    // A member may leave between the two reads; it is simply not returned.
    return bodies.filter((b): b is Buffer => b !== null).map((b) => decodeBytes(b) as AcceptedPresence);
  }

  async membersOfConnection(connectionId: string): Promise<Array<{ channel: string; member: AcceptedPresence }>> {
    const { keys } = this.opts;
    const fields = await this.redis.hkeys(keys.connectionPresence(connectionId));
    const out: Array<{ channel: string; member: AcceptedPresence }> = [];
    for (const field of fields) {
      const cut = field.indexOf('\u0000');
      const channel = field.slice(0, cut);
      const body = await this.redis.hgetBuffer(keys.presenceMembers(channel), field.slice(cut + 1));
      if (body) out.push({ channel, member: decodeBytes(body) as AcceptedPresence });
    }
    return out;
  }
}
