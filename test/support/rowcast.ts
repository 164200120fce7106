import { vi } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import type { ApiKey, RealtimeNode } from '@rowcast/core';
import { parseConfig, startServer, type ComponentStarter, type RowcastConfigInput } from '@rowcast/server';
import { freePort } from './ports.ts';
import { waitUntilReady } from './ready-child.ts';

/** The keys of issue 2, configured on every test server. */
export const TEST_KEYS: ApiKey[] = [
  { name: 'app1.full', secret: 'fullsecret', capability: { '*': ['*'] } },
  { name: 'app1.sub', secret: 'subsecret', capability: { 'room*': ['subscribe', 'presence'] } },
];

/** `keyName:secret` strings of the test keys, for `new Ably.Realtime({ key })`. */
export const KEYS = { full: 'app1.full:fullsecret', sub: 'app1.sub:subsecret' } as const;

/** Config a test may override: anything in rowcast.config.json (realtime tunables, apps, rules, database...). */
export type TestConfig = Partial<RowcastConfigInput> & Record<string, unknown>;

export interface TestRowcast {
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  keys: typeof KEYS;
  /** The engine, for hooks and server-side actions (see @rowcast/core/testing: dropTransport). */
  node: RealtimeNode;
  /** Temporary data directory (removed by close()). */
  dataDir: string;
  close(): Promise<void>;
}

const REPO = resolve(import.meta.dirname, '../..');

/**
 * Starts Rowcast in this process on a free port with the test keys and a temporary data directory.
 * `overrides` are merged over that config (e.g. `{ realtime: { presenceLeaveDelayMs: 500 } }`, `{ database: { url } }`,
 * `{ apps: [...] }`). Logs are silent unless ROWCAST_TEST_LOG names a pino level.
 */
export async function startRowcast(
  overrides: TestConfig = {},
  opts: { components?: ComponentStarter[]; configDir?: string } = {},
): Promise<TestRowcast> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rowcast-test-'));
  const config = parseConfig({ port: 0, host: '127.0.0.1', keys: TEST_KEYS, ...overrides, dataDir });
  const logger = pino({ level: process.env.ROWCAST_TEST_LOG ?? 'silent' });
  const server = await startServer(config, { logger, configDir: opts.configDir ?? REPO, components: opts.components });
  return {
    port: server.port,
    url: server.url,
    keys: KEYS,
    node: server.node,
    dataDir,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface SpawnedRowcast {
  port: number;
  url: string;
  keys: typeof KEYS;
  process: ChildProcess;
  /** Config file written for the child (in `dataDir`'s parent temp directory). */
  configPath: string;
  dataDir: string;
  /** Everything the child wrote so far (stdout + stderr). */
  output(): string;
  /** Resolves with the exit code (or the signal name) when the child ends. */
  exited: Promise<number | string>;
  /** Sends a signal (SIGKILL for crash tests) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<number | string>;
  /** SIGTERM, wait, and remove the temporary directory unless `keepData`. */
  stop(opts?: { keepData?: boolean }): Promise<number | string>;
}

/**
 * Starts Rowcast as a child process through the real `rowcast start --config` command (for kill -9 and
 * restart tests). Resolves once it printed that it is ready. Pass `dataDir` (from a previous spawn with
 * `keepData`) to restart on the same data; `port` to keep the port.
 */
export async function spawnRowcast(
  overrides: TestConfig = {},
  opts: { dataDir?: string; port?: number; env?: NodeJS.ProcessEnv; readyTimeoutMs?: number } = {},
): Promise<SpawnedRowcast> {
  const dir = opts.dataDir ? resolve(opts.dataDir, '..') : mkdtempSync(join(tmpdir(), 'rowcast-spawn-'));
  const dataDir = opts.dataDir ?? join(dir, 'data');
  const port = opts.port ?? (await freePort());
  const configPath = join(dir, 'rowcast.config.json');
  writeFileSync(configPath, JSON.stringify({ host: '127.0.0.1', keys: TEST_KEYS, ...overrides, port, dataDir }, null, 2));
  const child = spawn(process.execPath, [join(REPO, 'packages/cli/bin/rowcast.js'), 'start', '--config', configPath], {
    cwd: REPO,
    // A cluster test opts in to Redis through its config or opts.env; others stay single-node even in CI's Redis run.
    // DATABASE_URL overrides the config file's database (as it should for users), so a test that names its own
    // database in the config must not inherit the runner's (CI's second run sets it for the system PostgreSQL).
    env: { ...process.env, PORT: '', REDIS_URL: '', ...databaseEnv(overrides), ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { output, exited } = await waitUntilReady(child, 'Rowcast is ready at', 'rowcast', opts.readyTimeoutMs ?? 60_000);
  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    keys: KEYS,
    process: child,
    configPath,
    dataDir,
    output,
    exited,
    kill,
    async stop(stopOpts = {}) {
      const code = await kill('SIGTERM');
      if (!stopOpts.keepData) rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Options that point the `ably` SDK at a test server (same host:port for REST and realtime, no TLS). */
export function clientOptions(server: { port: number }, options: Record<string, unknown> = {}): Record<string, unknown> {
  return { endpoint: '127.0.0.1', port: server.port, tls: false, logLevel: 0, ...options };
}

/**
 * Options for an SDK client of a cluster whose nodes listen on the same port of several loopback addresses:
 * its home is `hosts[home]`; with `failover` the other hosts are its fallback hosts, so it reconnects there on its
 * own when its node dies (no connectivity check, a quick retry).
 */
export function clusterClientOptions(
  cluster: { hosts: string[]; port: number },
  home: number,
  options: Record<string, unknown> = {},
  failover = true,
): Record<string, unknown> {
  return {
    endpoint: cluster.hosts[home],
    fallbackHosts: failover ? cluster.hosts.filter((h) => h !== cluster.hosts[home]) : [],
    disableConnectivityCheck: true,
    disconnectedRetryTimeout: 500,
    port: cluster.port,
    tls: false,
    logLevel: 0,
    ...options,
  };
}

/**
 * Waits (vi.waitFor, every 20 ms) until `check` returns a truthy value and returns it; fails with `what` after
 * `timeoutMs`. For conditions reached asynchronously (messages arriving), not for timing assertions.
 */
export function until<T>(check: () => T | undefined | null | false, what: string, timeoutMs = 15_000): Promise<T> {
  return vi.waitFor(
    () => {
      const value = check();
      if (!value) throw new Error(`Timed out waiting for ${what}`);
      return value;
    },
    { timeout: timeoutMs, interval: 20 },
  );
}

/** `until` for a check that must ask the server (an async read): retried until it resolves truthy. */
export function eventually<T>(check: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 15_000): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await check();
      if (!value) throw new Error(`Timed out waiting for ${what}`);
      return value;
    },
    { timeout: timeoutMs, interval: 50 },
  );
}

/** One `ably` SDK client in its own process (test/support/ably-child.mjs), to be killed or replaced. */
export interface ChildClient {
  /** The JSON lines it printed so far. */
  lines: Array<Record<string, unknown>>;
  /** Waits for a printed line matching `pred`. */
  waitFor(pred: (line: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
  /** SIGKILL: the process dies without closing its connection. */
  kill(): Promise<void>;
}

/** Starts a client process: connects, attaches (or subscribes) to `channel`, optionally enters presence. */
export function spawnAblyClient(
  server: { port: number },
  cfg: { key: string; channel: string; clientId?: string; enter?: unknown; subscribe?: boolean; useBinaryProtocol?: boolean },
): ChildClient {
  const child = spawn(process.execPath, [join(REPO, 'test/support/ably-child.mjs'), JSON.stringify({ port: server.port, ...cfg })], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffered.slice(0, nl)));
      buffered = buffered.slice(nl + 1);
    }
  });
  const exited = new Promise<void>((ok) => child.on('exit', () => ok()));
  return {
    lines,
    waitFor: (pred, what) => until(() => lines.find(pred), what, 30_000),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The DATABASE_URL a spawned server must see: the test config's own database when it names one. */
function databaseEnv(overrides: TestConfig): NodeJS.ProcessEnv {
  const url = (overrides as { database?: { url?: string } }).database?.url;
  return url ? { DATABASE_URL: url } : {};
}
