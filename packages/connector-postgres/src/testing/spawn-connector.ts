import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../../../..');

/** A `rowcast connector` child process, for crash and restart tests. */
export interface SpawnedConnector {
  process: ChildProcess;
  /** Everything it wrote so far (stdout + stderr, pino JSON lines). */
  output(): string;
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

/**
 * Runs `rowcast connector <args>` through the real CLI entry point. Resolves once the replication stream runs
 * (the "replication streaming" log line), or rejects with the output if it exits first.
 */
export async function spawnConnector(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; readyTimeoutMs?: number } = {},
): Promise<SpawnedConnector> {
  const child = spawn(process.execPath, [resolve(REPO, 'packages/cli/bin/rowcast.js'), 'connector', ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | string>((ok) => child.on('exit', (code, signal) => ok(code ?? signal ?? -1)));
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`connector did not start streaming in time:\n${out}`)), opts.readyTimeoutMs ?? 60_000);
    const check = setInterval(() => {
      if (out.includes('replication streaming')) {
        clearTimeout(timer);
        clearInterval(check);
        ok();
      }
    }, 20);
    void exited.then((code) => {
      clearTimeout(timer);
      clearInterval(check);
      fail(new Error(`connector exited (${code}) before streaming:\n${out}`));
    });
  });
  return {
    process: child,
    output: () => out,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
