import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';
import { withScripts, type RowcastScripts } from './scripts.js';

/**
 * Which Redis data set this node works on. A Redis that restarts without persistence comes back empty, and a
 * Sentinel failover hands the cluster a replica that may miss the last writes: in both cases the channels'
 * sequences in Redis no longer match what the nodes delivered. Two marks tell the node: the instance key (an id
 * the nodes write; absent after a restart without persistence, replaced by whichever node noticed a change
 * first) and the server's run_id (new after any restart or failover, whatever the persistence). The scripts that
 * hand out serials refuse to run under another instance id, so no node sequences anything on a changed data set
 * before it has recovered onto it.
 */
export class StoreIdentity {
  /** The instance id this node last recovered onto; the scripts check it. */
  id = '';
  private runId = '';

  constructor(private readonly opts: { redis: Redis; keys: RedisKeys }) {}

  /** Joins the data set at startup: the instance id in force (written if this is the first node). */
  async join(): Promise<void> {
    const redis = this.scripts();
    this.runId = await this.serverRunId();
    this.id = await redis.rowcastAdoptInstance(this.opts.keys.instance(), '\u0000none', randomBytes(8).toString('hex'));
  }

  /** Whether Redis is not the data set this node knows (it restarted, lost its data or failed over). */
  async changed(): Promise<boolean> {
    const [runId, id] = await Promise.all([this.serverRunId(), this.opts.redis.get(this.opts.keys.instance())]);
    return runId !== this.runId || id !== this.id;
  }

  /**
   * Takes the data set as it is now as this node's: replaces the instance id if nobody did yet (so every other
   * node notices too) or adopts the one another node wrote. Returns the run_id it saw, for the caller's logs.
   */
  async adopt(): Promise<string> {
    const runId = await this.serverRunId();
    this.id = await this.scripts().rowcastAdoptInstance(this.opts.keys.instance(), this.id, randomBytes(8).toString('hex'));
    this.runId = runId;
    return runId;
  }

  private scripts(): Redis & RowcastScripts {
    return withScripts(this.opts.redis);
  }

  private async serverRunId(): Promise<string> {
    const info = await this.opts.redis.info('server');
    return /^run_id:(\w+)/m.exec(info)?.[1] ?? '';
  }
}
