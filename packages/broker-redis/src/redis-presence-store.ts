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

  constructor(private readonly opts: RedisPresenceOptions) {
    this.redis = withScripts(opts.redis);
  }

  async apply(channel: string, event: AcceptedPresence): Promise<boolean> {
    const { keys, nodeId } = this.opts;
    const leave = event.action === PresenceAction.LEAVE || event.action === PresenceAction.ABSENT;
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
