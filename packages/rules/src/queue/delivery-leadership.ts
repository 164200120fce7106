import pg from 'pg';
import type { Logger } from 'pino';
import type { Lane } from './delivery-queue.js';

/** Channel of the NOTIFY an enqueue sends (in its own INSERT statement) so the delivering node wakes up. */
export const QUEUE_NOTIFY_CHANNEL = 'rowcast_rule_queue';

/** Session advisory lock held by the one node that delivers ("rowc" + "rule"). */
const LEADER_LOCK = 0x726f7763_72756c65n;
const RETRY_MS = 1_000;

/** What an enqueue NOTIFY carries: the enqueuing node and its lanes, or `'*'` when there were too many to list. */
export interface QueueNotice {
  node: string;
  lanes: Lane[] | '*';
}

export interface LeadershipEvents {
  /** This node now delivers: resume every queued lane. */
  acquired(): void;
  /** This node no longer delivers (its lock session ended): stop the lanes. */
  lost(): void;
  /** Another node enqueued for these lanes (only reported while leading). */
  notified(notice: QueueNotice): void;
}

/**
 * Which node delivers: the one holding a session advisory lock in the queue's database. All nodes enqueue (so a
 * publish is durable wherever it lands); only the leader runs lanes, which keeps per-channel order and
 * single delivery across a cluster. Others retry the lock every second and take over when the leader's session
 * ends (a killed process closes its socket; keepalives catch a vanished host in about half a minute).
 */
export class DeliveryLeadership {
  private client?: pg.Client;
  private leading = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly databaseUrl: string,
    private readonly nodeId: string,
    private readonly events: LeadershipEvents,
    private readonly logger: Logger,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** Connects and tries for the lock once; resolves either way (leading or following). */
  async start(): Promise<void> {
    await this.attempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.leading = false;
    // ending the session releases the lock for the next node at once
    await client?.end().catch(() => {});
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.client) this.client = await this.connect();
      const { rows } = await this.client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [LEADER_LOCK.toString()]);
      if (rows[0].locked) {
        this.leading = true;
        this.logger.info({ node: this.nodeId }, 'this node delivers rule events');
        this.events.acquired();
        return;
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'rules leadership: database unreachable; retrying');
      this.drop();
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.attempt(), RETRY_MS);
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.databaseUrl, keepAlive: true });
    await client.connect();
    client.on('error', (err) => {
      this.logger.warn({ err: err.message }, 'rules leadership: lock session failed');
      this.drop();
      if (!this.stopped) this.timer = setTimeout(() => void this.attempt(), RETRY_MS);
    });
    client.on('notification', (message) => {
      if (!this.leading || message.channel !== QUEUE_NOTIFY_CHANNEL || !message.payload) return;
      try {
        const notice = JSON.parse(message.payload) as QueueNotice;
        if (notice.node !== this.nodeId) this.events.notified(notice);
      } catch {
        this.events.notified({ node: '?', lanes: '*' });
      }
    });
    // Let the server notice a vanished host within ~30 s so the lock does not outlive it for hours.
    await client.query(`SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3`);
    await client.query(`LISTEN ${QUEUE_NOTIFY_CHANNEL}`);
    return client;
  }

  /** Forgets a broken session; if it held the lock, this node stops delivering. */
  private drop(): void {
    const wasLeading = this.leading;
    this.leading = false;
    const client = this.client;
    this.client = undefined;
    client?.end().catch(() => {});
    if (wasLeading) {
      this.logger.warn({ node: this.nodeId }, 'this node lost the rules delivery lock; stopping deliveries');
      this.events.lost();
    }
  }
}
