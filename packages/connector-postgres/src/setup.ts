import type pg from 'pg';
import type { Logger } from 'pino';
import type { ChannelMapping, ConnectorConfig, MutableMessageTable, Operation } from './config.js';
import { SerialMap } from './serial-map.js';

/**
 * Prepares the database for capture, idempotently: resolves the configured tables, sets REPLICA IDENTITY FULL
 * where old values are needed, creates or updates the publication and creates the durable pgoutput slot.
 * Nothing is added to the write path: no triggers, no control table.
 */

/** A configured table as found in the catalog, with its channels per operation. */
export interface CapturedTable {
  oid: number;
  schema: string;
  name: string;
  /** The `table` field of published changes: the bare name, as the original's TG_TABLE_NAME; schema-qualified outside `public`. */
  label: string;
  channels: Record<Operation, string[]>;
  /** Primary key columns, to name a row in log lines. */
  primaryKey: string[];
  /** Set when the table's rows are mutable messages (config `mutableMessages`): the key column and message name. */
  mutable?: { keyColumn: string; name?: string };
}

/** A start-up error caused by the configuration (unknown table, slot of another plugin): retrying cannot help. */
export class ConnectorSetupError extends Error {
  override name = 'ConnectorSetupError';
}

/** Runs the preparation on `client` (a normal, non-replication connection) and returns the tables by OID. */
export async function prepareDatabase(client: pg.ClientBase, config: ConnectorConfig, logger: Logger): Promise<Map<number, CapturedTable>> {
  const level = (await client.query('SHOW wal_level')).rows[0].wal_level as string;
  if (level !== 'logical') {
    throw new ConnectorSetupError(
      `PostgreSQL runs with wal_level=${level}; logical replication needs wal_level=logical ` +
        `(ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL)`,
    );
  }
  const tables = await resolveTables(client, config.mappings);
  await markMutableTables(client, tables, config.mutableMessages);
  if (config.mutableMessages.length) await SerialMap.ensureTable(client);
  for (const table of tables.values()) await ensureReplicaIdentity(client, table, logger);
  await ensurePublication(client, config.publicationName, [...tables.values()], logger);
  await ensureSlot(client, config.slotName, logger);
  return tables;
}

async function resolveTables(client: pg.ClientBase, mappings: ChannelMapping[]): Promise<Map<number, CapturedTable>> {
  const db = (await client.query('SELECT current_database() AS db')).rows[0].db as string;
  const tables = new Map<number, CapturedTable>();
  const problems: string[] = [];
  for (const m of mappings) {
    let row: { oid: number; schema: string; name: string; relkind: string } | undefined;
    try {
      const res = await client.query(
        `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`,
        [m.tablename],
      );
      row = res.rows[0];
    } catch {
      row = undefined; // invalid name syntax
    }
    if (!row) {
      problems.push(`unknown table "${m.tablename}" (${m.source}.tablename) in database "${db}"`);
      continue;
    }
    if (row.relkind !== 'r') {
      problems.push(`"${m.tablename}" (${m.source}.tablename) is not a plain table (relkind ${row.relkind})`);
      continue;
    }
    let table = tables.get(row.oid);
    if (!table) {
      const pk = await client.query(
        `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
          WHERE i.indrelid = $1 AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
        [row.oid],
      );
      table = {
        oid: row.oid,
        schema: row.schema,
        name: row.name,
        label: row.schema === 'public' ? row.name : `${row.schema}.${row.name}`,
        channels: { INSERT: [], UPDATE: [], DELETE: [] },
        primaryKey: pk.rows.map((r) => r.attname as string),
      };
      tables.set(row.oid, table);
    }
    const list = table.channels[m.operation];
    if (!list.includes(m.channel)) list.push(m.channel);
  }
  if (problems.length) throw new ConnectorSetupError(`connector configuration does not match the database:\n  ${problems.join('\n  ')}`);
  return tables;
}

/** Marks the tables of `mutableMessages`, which must be captured tables having the key column. */
async function markMutableTables(client: pg.ClientBase, tables: Map<number, CapturedTable>, entries: MutableMessageTable[]): Promise<void> {
  const problems: string[] = [];
  for (const m of entries) {
    let oid: number | undefined;
    try {
      oid = (await client.query(`SELECT to_regclass($1)::oid::int AS oid`, [m.tablename])).rows[0]?.oid ?? undefined;
    } catch {
      oid = undefined; // invalid name syntax
    }
    const table = oid === undefined ? undefined : tables.get(oid);
    if (!table) {
      problems.push(`"${m.tablename}" (${m.source}.tablename) is not a table of connector[]: map its operations to channels there`);
      continue;
    }
    if (table.mutable) {
      problems.push(`"${m.tablename}" (${m.source}.tablename) is listed twice in mutableMessages`);
      continue;
    }
    const column = await client.query(`SELECT 1 FROM pg_attribute WHERE attrelid = $1 AND attname = $2 AND attnum > 0 AND NOT attisdropped`, [
      table.oid,
      m.keyColumn,
    ]);
    if (!column.rowCount) {
      problems.push(`table ${table.label} has no column "${m.keyColumn}" (${m.source}.keyColumn)`);
      continue;
    }
    table.mutable = { keyColumn: m.keyColumn, name: m.name };
  }
  if (problems.length) throw new ConnectorSetupError(`connector configuration does not match the database:\n  ${problems.join('\n  ')}`);
}

/**
 * DELETE must carry the old row, and an UPDATE must carry TOASTed values it did not change (pgoutput sends only
 * an "unchanged" marker for those): both come from the old tuple that REPLICA IDENTITY FULL logs.
 */
async function ensureReplicaIdentity(client: pg.ClientBase, table: CapturedTable, logger: Logger): Promise<void> {
  const needsDelete = table.channels.DELETE.length > 0;
  const needsUpdate = table.channels.UPDATE.length > 0;
  if (!needsDelete && !needsUpdate) return;
  const res = await client.query(
    `SELECT c.relreplident AS ident,
            EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                      AND a.attstorage <> 'p') AS toastable
       FROM pg_class c WHERE c.oid = $1`,
    [table.oid],
  );
  const { ident, toastable } = res.rows[0] as { ident: string; toastable: boolean };
  if (ident === 'f') return;
  if (!needsDelete && !toastable) return;
  await client.query(`ALTER TABLE ${qualified(table)} REPLICA IDENTITY FULL`);
  logger.info(
    { table: table.label },
    needsDelete
      ? `set REPLICA IDENTITY FULL on ${table.label}: DELETE changes carry the old row`
      : `set REPLICA IDENTITY FULL on ${table.label}: UPDATE changes carry unchanged TOASTed values`,
  );
}

async function ensurePublication(client: pg.ClientBase, name: string, tables: CapturedTable[], logger: Logger): Promise<void> {
  const ops = new Set<string>();
  for (const t of tables) for (const op of ['INSERT', 'UPDATE', 'DELETE'] as const) if (t.channels[op].length) ops.add(op.toLowerCase());
  const publish = [...ops].join(', ');
  const list = tables.map(qualified).join(', ');
  const exists = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [name]);
  if (exists.rowCount) {
    await client.query(`ALTER PUBLICATION ${ident(name)} SET TABLE ${list}`);
    await client.query(`ALTER PUBLICATION ${ident(name)} SET (publish = '${publish}')`);
    return;
  }
  try {
    await client.query(`CREATE PUBLICATION ${ident(name)} FOR TABLE ${list} WITH (publish = '${publish}')`);
    logger.info({ publication: name, tables: tables.map((t) => t.label), publish }, 'created publication');
  } catch (err) {
    if ((err as { code?: string }).code !== '42710') throw err; // created concurrently: fine
  }
}

async function ensureSlot(client: pg.ClientBase, name: string, logger: Logger): Promise<void> {
  const res = await client.query(`SELECT plugin, database, slot_type FROM pg_replication_slots WHERE slot_name = $1`, [name]);
  const slot = res.rows[0] as { plugin: string; database: string; slot_type: string } | undefined;
  if (slot) {
    const db = (await client.query('SELECT current_database() AS db')).rows[0].db as string;
    if (slot.slot_type !== 'logical' || slot.plugin !== 'pgoutput' || slot.database !== db) {
      throw new ConnectorSetupError(
        `replication slot "${name}" exists but is not a pgoutput slot of database "${db}" (${slot.slot_type}, ${slot.plugin}, ${slot.database}); choose another slotName`,
      );
    }
    return;
  }
  try {
    await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [name]);
    logger.info({ slot: name }, 'created durable replication slot');
  } catch (err) {
    if ((err as { code?: string }).code !== '42710') throw err;
  }
}

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function qualified(t: { schema: string; name: string }): string {
  return `${ident(t.schema)}.${ident(t.name)}`;
}
