import type { ClientConfig } from 'pg';
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import type { Socket } from 'node:net';
import { formatLsn, parseLsn } from './lsn.js';

/**
 * One streaming connection to a logical replication slot with pgoutput. Avoids the two traps of
 * pg-logical-replication 2.5.0 (shared/docs/platform-facts.md): its timer would confirm positions nobody
 * processed (disabled: timeoutSeconds 0, auto false), and it adds 1 to every position it confirms (compensated
 * in `confirm`). Messages are handed over synchronously, in stream order, interleaved with keepalives.
 */
export interface SessionHandlers {
  /** A decoded pgoutput message. Runs synchronously inside the socket's data handler; must not throw. */
  onMessage(message: Pgoutput.Message): void;
  /** A primary keepalive: the server has sent everything before `walEnd`; `replyRequested` wants a status now. */
  onKeepalive(walEnd: bigint, replyRequested: boolean): void;
  /** Replication started: the slot is ours. */
  onStart?(): void;
}

export class ReplicationSession {
  private readonly service: LogicalReplicationService;
  private failure: Error | undefined;
  private stopping = false;
  private markStopped!: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.markStopped = resolve));

  constructor(
    db: ClientConfig,
    private readonly slotName: string,
    private readonly publicationName: string,
    private readonly handlers: SessionHandlers,
  ) {
    // Output functions run in the walsender: ISO dates make the text row_to_json-compatible (see row-json.ts).
    const options = [db.options, '-c DateStyle=ISO'].filter(Boolean).join(' ');
    this.service = new LogicalReplicationService(
      { ...db, options },
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: false } },
    );
    this.service.on('data', (_lsn: string, message: Pgoutput.Message) => {
      if (this.failure || this.stopping) return;
      try {
        this.handlers.onMessage(message);
      } catch (err) {
        this.fail(err as Error);
      }
    });
    this.service.on('heartbeat', (lsn: string, _ts: number, reply: boolean) => {
      if (!this.failure) this.handlers.onKeepalive(parseLsn(lsn), reply);
    });
    this.service.on('start', () => {
      // stop() while the connection was still being made found nothing to end: end it now that it exists
      if (this.stopping) void this.service.stop().catch(() => {});
      else this.handlers.onStart?.();
    });
    this.service.on('error', (err: Error) => this.fail(err));
  }

  /**
   * Streams from `startLsn` (0 = the slot's confirmed position) until the connection ends. Resolves when stopped
   * by `stop()`, rejects with the cause otherwise (connection lost, slot busy, handler failure).
   */
  async run(startLsn: bigint): Promise<void> {
    const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [this.publicationName] });
    try {
      // stop() ends the wait at once: a client ended while still connecting may never settle its connect()
      await Promise.race([this.service.subscribe(plugin, this.slotName, formatLsn(startLsn)), this.stopped]);
    } catch (err) {
      if (!this.stopping) throw this.failure ?? err;
    }
    if (this.failure && !this.stopping) throw this.failure;
    if (!this.stopping) throw new Error('replication stream ended');
  }

  /** Tells PostgreSQL everything before `lsn` is done: the slot may advance and recycle WAL up to there. */
  confirm(lsn: bigint): void {
    if (lsn <= 0n || this.failure) return;
    void this.service.acknowledge(formatLsn(lsn - 1n)).catch(() => {}); // the library adds 1
  }

  /** Stops reading from the socket (TCP backpressure reaches the walsender); `resume` undoes it. */
  pause(): void {
    this.socket()?.pause();
  }

  resume(): void {
    this.socket()?.resume();
  }

  /**
   * Ends the stream. The service is stopped, not destroyed: its listeners stay, so a connection that was still
   * being made when this ran is ended as soon as it starts streaming (see the 'start' listener).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.markStopped();
    await this.service.stop().catch(() => {});
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    if (!this.stopping) void this.service.stop().catch(() => {});
  }

  private socket(): Socket | undefined {
    // pg-logical-replication pauses this same stream for its own flow control; there is no public accessor.
    return (this.service as unknown as { _connection?: { stream?: Socket } })._connection?.stream;
  }
}
