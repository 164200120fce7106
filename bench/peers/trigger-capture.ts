import pg from 'pg';

/** Where the original connector's capture is installed and what it publishes to. */
export interface TriggerCaptureOptions {
  databaseUrl: string;
  table: string;
  channel: string;
  operations: Array<'INSERT' | 'UPDATE' | 'DELETE'>;
}

/** The engine surface the capture publishes into (Rowcast's RealtimeNodeApi.publish). */
export interface PublishTarget {
  publish(channel: string, messages: Array<{ name?: string; data?: unknown }>, origin: object): Promise<unknown>;
}

/** The message name the original connector published with. */
export const ORIGINAL_MESSAGE_NAME = 'New message from the Ably/ Postgres connector';

/**
 * Installs the original connector's capture on `table`, re-created from its public description: a control
 * table mapping table+operation to a channel, a plpgsql function that calls
 * `pg_notify('table_update', json_build_object('table', TG_TABLE_NAME, 'type', TG_OP, 'row', rec)::text)`,
 * and an AFTER ... FOR EACH ROW trigger per operation.
 */
export async function installTriggerCapture(client: pg.Client, opts: TriggerCaptureOptions): Promise<void> {
  await client.query(`CREATE OR REPLACE FUNCTION ably_notify() RETURNS trigger AS $$
    DECLARE rec record;
    BEGIN
      IF TG_OP = 'INSERT' OR TG_OP = 'UPDATE' THEN rec = NEW; ELSE rec = OLD; END IF;
      PERFORM pg_notify('table_update', json_build_object('table', TG_TABLE_NAME, 'type', TG_OP, 'row', rec)::text);
      RETURN NEW;
    END; $$ LANGUAGE plpgsql`);
  await client.query(`CREATE TABLE IF NOT EXISTS ablycontroltable(tablename varchar(100) NOT NULL,
    ablychannelname varchar(100) NOT NULL, operation varchar(50), PRIMARY KEY (tablename, ablychannelname, operation))`);
  for (const op of opts.operations) {
    await client.query(`INSERT INTO ablycontroltable VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [opts.table, opts.channel, op]);
    await client.query(`DROP TRIGGER IF EXISTS ${opts.table}_notify_${op} ON ${opts.table}`);
    await client.query(`CREATE TRIGGER ${opts.table}_notify_${op} AFTER ${op} ON ${opts.table} FOR EACH ROW EXECUTE PROCEDURE ably_notify()`);
  }
}

/** Removes the triggers (so the next scenario on the same table runs without them). */
export async function uninstallTriggerCapture(client: pg.Client, opts: TriggerCaptureOptions): Promise<void> {
  for (const op of opts.operations) await client.query(`DROP TRIGGER IF EXISTS ${opts.table}_notify_${op} ON ${opts.table}`);
}

/**
 * The original connector's listener: `LISTEN table_update`; per notification, one control-table query for the
 * channel, then a publish that is not awaited (the original fired REST publishes without waiting). Publishing
 * goes into `target` in-process, which spares the peer the REST hop the original paid: a kinder peer.
 * Without a target it only counts (the write-path benchmark).
 */
export async function startTriggerCapture(
  opts: TriggerCaptureOptions,
  target?: PublishTarget,
): Promise<{ stop(): Promise<void>; received(): number }> {
  const setup = new pg.Client({ connectionString: opts.databaseUrl });
  await setup.connect();
  await installTriggerCapture(setup, opts);
  await setup.end();
  const listener = new pg.Client({ connectionString: opts.databaseUrl });
  await listener.connect();
  let received = 0;
  // The original looks each notification's channel up on the listening connection itself, so the lookups run one
  // after another: chained here as pg 8 queued them (pg deprecates queueing a query behind a running one).
  let lookups: Promise<unknown> = Promise.resolve();
  listener.on('notification', (n) => {
    if (n.channel !== 'table_update' || !n.payload) return;
    received++;
    const payload = n.payload;
    const change = JSON.parse(payload) as { table: string; type: string };
    lookups = lookups
      .then(() => listener.query('SELECT ablychannelname FROM ablycontroltable WHERE tablename = $1 AND operation = $2', [change.table, change.type]))
      .then((res) => {
        const channel = res.rows[0]?.ablychannelname as string | undefined;
        if (channel && target) void target.publish(channel, [{ name: ORIGINAL_MESSAGE_NAME, data: payload }], {}).catch(() => {});
      })
      .catch(() => {});
  });
  await listener.query('LISTEN table_update');
  return {
    received: () => received,
    async stop() {
      await listener.end().catch(() => {});
      const c = new pg.Client({ connectionString: opts.databaseUrl });
      await c.connect();
      await uninstallTriggerCapture(c, opts).catch(() => {});
      await c.end();
    },
  };
}
