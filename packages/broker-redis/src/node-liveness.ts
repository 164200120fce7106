import type { Redis } from 'ioredis';
import { silentLogger, type Logger } from '@rowcast/core';
import type { RedisKeys } from './keys.js';
import { withScripts, type RowcastScripts } from './scripts.js';

export interface NodeLivenessOptions {
  redis: Redis;
  keys: RedisKeys;
  nodeId: string;
  /** How long a node stays "alive" without refreshing; it refreshes every third of this. */
  livenessTtlMs: number;
  /** How long after a node is seen dead its presence members leave (the presence delay). */
  leaveDelayMs: number;
  /** Makes the members of one connection of a dead node leave (publishes their LEAVEs). */
  leaveConnection(connectionId: string): Promise<void>;
  logger?: Logger;
}

/**
 * Node membership for presence: each node keeps a key with a TTL alive; the others notice when it expires.
 * A node that died without goodbye (SIGKILL, power loss) cannot make its connections' members leave, so the
 * survivors do, once the presence delay has passed since the death was first noticed. One survivor claims
 * the dead node atomically (a Lua script), so the LEAVEs are published once, not once per survivor.
 */
export class NodeLiveness {
  private readonly redis: Redis & RowcastScripts;
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: NodeLivenessOptions) {
    this.redis = withScripts(opts.redis);
    this.logger = opts.logger ?? silentLogger;
  }

  /** Joins the cluster (first heartbeat written before this resolves) and starts watching the others. */
  async start(): Promise<void> {
    await this.heartbeat();
    const every = Math.max(100, Math.floor(this.opts.livenessTtlMs / 3));
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.tick());
    }, every);
    this.timer.unref();
  }

  /**
   * Leaves the cluster: the liveness key goes now, so the survivors start the presence delay for this node's
   * members at once (its connections were told to reconnect elsewhere, where they enter again).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.redis.del(this.opts.keys.nodeAlive(this.opts.nodeId)).catch(() => {});
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.heartbeat();
      await this.reapDeadNodes();
    } catch (err) {
      this.logger.warn({ err }, 'node liveness: Redis unavailable, will retry');
    }
  }

  private async heartbeat(): Promise<void> {
    const { keys, nodeId, livenessTtlMs } = this.opts;
    await this.redis.multi().set(keys.nodeAlive(nodeId), String(Date.now()), 'PX', livenessTtlMs).sadd(keys.nodes(), nodeId).exec();
  }

  private async reapDeadNodes(): Promise<void> {
    const { keys, nodeId, leaveDelayMs } = this.opts;
    for (const other of await this.redis.smembers(keys.nodes())) {
      if (other === nodeId || this.stopped) continue;
      if (await this.redis.exists(keys.nodeAlive(other))) continue;
      // The first survivor to notice records when; everyone measures the delay from that moment.
      await this.redis.set(keys.nodeDeadSince(other), String(Date.now()), 'NX');
      const since = Number(await this.redis.get(keys.nodeDeadSince(other)));
      if (!since || Date.now() - since < leaveDelayMs) continue;
      const conns = await this.redis.rowcastClaimDeadNode(
        keys.nodes(),
        keys.nodeConnections(other),
        keys.nodeConnections(nodeId),
        keys.nodeDeadSince(other),
        other,
      );
      if (!conns) continue; // another survivor claimed it
      this.logger.info({ deadNode: other, connections: conns.length }, 'reaping the presence members of a dead node');
      for (const connectionId of conns) await this.reapConnection(connectionId, other);
    }
  }

  /** Leaves the members of a connection, unless it entered again through a live node since (a resume). */
  private async reapConnection(connectionId: string, deadNode: string): Promise<void> {
    const { keys, nodeId } = this.opts;
    const owner = await this.redis.hget(keys.presenceOwners(), connectionId);
    if (owner !== deadNode) return;
    try {
      await this.opts.leaveConnection(connectionId);
      await this.redis.hdel(keys.presenceOwners(), connectionId);
      await this.redis.srem(keys.nodeConnections(nodeId), connectionId);
    } catch (err) {
      this.logger.error({ err, connectionId }, 'reaping presence members failed; will retry when this node is reaped');
    }
  }
}
