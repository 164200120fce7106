import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '@rowcast/server';
import { freePort } from '@rowcast/test-support/ports';

/** A PostgreSQL cluster for one benchmark, with logical replication enabled. */
export interface BenchPostgres {
  /** Admin URL (database `postgres`). */
  adminUrl: string;
  host: string;
  port: number;
  user: string;
  password: string;
  /** Creates a fresh database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Runs SQL on a database (one short-lived connection). */
  sql(url: string, text: string, values?: unknown[]): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

/**
 * A dedicated cluster: BENCH_DATABASE_URL (a server with wal_level=logical) when set, else a fresh embedded
 * PostgreSQL 17 in a temporary directory, so benchmarks never share a cluster with tests running meanwhile.
 */
export async function startBenchPostgres(): Promise<BenchPostgres> {
  let adminUrl = process.env.BENCH_DATABASE_URL ?? '';
  let stopCluster = async () => {};
  let dataDir: string | undefined;
  if (!adminUrl) {
    dataDir = mkdtempSync(join(tmpdir(), 'rowcast-bench-pg-'));
    const cluster = await startEmbeddedPostgres({ dataDir, port: await freePort() });
    adminUrl = cluster.url;
    stopCluster = () => cluster.stop();
  }
  const u = new URL(adminUrl);
  const created: string[] = [];
  const sql = async (url: string, text: string, values?: unknown[]) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return await c.query(text, values);
    } finally {
      await c.end();
    }
  };
  return {
    adminUrl,
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || 'postgres'),
    password: decodeURIComponent(u.password),
    sql,
    async createDatabase(name: string) {
      await dropDatabase(sql, adminUrl, name);
      await sql(adminUrl, `CREATE DATABASE ${name}`);
      created.push(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async stop() {
      for (const name of created) await dropDatabase(sql, adminUrl, name).catch(() => {});
      await stopCluster();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Drops a database and the replication slots in it (slots would otherwise keep WAL forever). */
async function dropDatabase(sql: BenchPostgres['sql'], adminUrl: string, name: string): Promise<void> {
  await sql(adminUrl, `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL`, [name]);
  await sql(adminUrl, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NULL`, [name]);
  await sql(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/**
 * The original's chat table (shared/docs/original-system.md) plus one column the chat function never writes:
 * `inserted_at`, the INSERT's wall-clock time in ms, filled by its default. It travels with the row to the
 * subscribers and splits the path's latency into "to the row" (rule + function) and "from the row" (capture +
 * fan-out).
 */
export const CHAT_DATA_DDL = `CREATE TABLE chat_data (
  username text, msg_id text PRIMARY KEY, msg_data text, client_id text,
  incremental_record_id bigserial NOT NULL, created_at_timestamp bigint, is_edited boolean,
  inserted_at double precision DEFAULT extract(epoch FROM clock_timestamp()) * 1000)`;
