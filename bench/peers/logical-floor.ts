import pg from 'pg';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import { serveParent } from '../lib/proc.js';
import { nowMs } from '../lib/clock.js';
import { cpuMicros } from '../lib/proc.js';

interface Args {
  databaseUrl: string;
  table: string;
  slotName: string;
  publicationName: string;
  /** Leave the slot and publication in place on stop (a later consumer catches up from it). */
  keepSlot?: boolean;
}

/** What a change consumer has seen so far: rows, and when the first and the latest arrived (wall-clock ms). */
export interface RowCounter {
  count: number;
  firstAt: number;
  lastAt: number;
}

/**
 * Peer (the floor): a bare `pg-logical-replication` consumer of a pgoutput slot that only decodes. It counts
 * inserted rows and acknowledges each commit, nothing else: no mapping, no JSON, no publish. Any change stream
 * built on this library on this machine is at most this fast.
 */
await serveParent<Args, { slot: string }>(async (args) => {
  const admin = new pg.Client({ connectionString: args.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE PUBLICATION ${args.publicationName} FOR TABLE ${args.table}`).catch((e: Error) => {
    if (!/already exists/.test(e.message)) throw e;
  });
  await admin.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [args.slotName]).catch((e: Error) => {
    if (!/already exists/.test(e.message)) throw e;
  });
  const counter: RowCounter = { count: 0, firstAt: 0, lastAt: 0 };
  const service = new LogicalReplicationService({ connectionString: args.databaseUrl }, { acknowledge: { auto: false, timeoutSeconds: 0 } });
  service.on('data', (lsn: string, log: { tag: string }) => {
    if (log.tag === 'insert') {
      const t = nowMs();
      if (counter.count === 0) counter.firstAt = t;
      counter.count++;
      counter.lastAt = t;
    } else if (log.tag === 'commit') {
      void service.acknowledge(lsn);
    }
  });
  service.on('error', () => {});
  const started = new Promise<void>((resolve) => service.once('start', () => resolve()));
  void service.subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: [args.publicationName] }), args.slotName).catch(() => {});
  await started;
  return {
    ready: { slot: args.slotName },
    handlers: {
      counter: () => ({ ...counter }),
      /** CPU time this process has used (µs, user + system): what its capture costs the shared cores. */
      cpu: () => cpuMicros(),
      reset: () => {
        counter.count = 0;
        counter.firstAt = 0;
        counter.lastAt = 0;
      },
      async stop() {
        await service.stop().catch(() => {});
        if (!args.keepSlot) {
          await admin.query(`SELECT pg_drop_replication_slot($1)`, [args.slotName]).catch(() => {});
          await admin.query(`DROP PUBLICATION IF EXISTS ${args.publicationName}`).catch(() => {});
        }
        await admin.end();
      },
    },
  };
});
