import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild, type ChildHandle } from './proc.js';
import type { RowcastServerArgs } from './rowcast-server.js';

/** The key every benchmark client uses: full rights, like the issue's `app1.full`. */
export const BENCH_KEY = { name: 'bench.full', secret: 'benchsecret', capability: { '*': ['*'] } };
export const BENCH_KEY_STRING = `${BENCH_KEY.name}:${BENCH_KEY.secret}`;

export interface RowcastStartOptions {
  /** With --profile: where `profileWindow` writes the server's CPU profile of the measured window. */
  cpuProfDir?: string;
  /** Names the profile (`<label>.cpuprofile`): which run of the benchmark this server served. */
  profileLabel?: string;
  nodeFlags?: string[];
  triggerCapture?: RowcastServerArgs['triggerCapture'];
  countChannel?: string;
}

/**
 * Starts Rowcast in its own process with `config` (keys default to the bench key), a fresh data directory and
 * a free port; relative module paths in the config resolve against bench/; `stop()` also removes the data directory.
 */
/** Runs `measure` inside the server's profiling window when it has one (Rowcast), else just runs it (peers). */
export function measureWindow<T>(server: ChildHandle<unknown>, measure: () => Promise<T>): Promise<T> {
  const withWindow = server as Partial<RowcastHandle>;
  return withWindow.profileWindow ? withWindow.profileWindow(measure) : measure();
}

/** A Rowcast server process. */
export interface RowcastHandle extends ChildHandle<{ port: number }> {
  /** Runs `measure`; with --profile the server's CPU is profiled for exactly that window. */
  profileWindow<T>(measure: () => Promise<T>): Promise<T>;
}

export async function startRowcast(config: Record<string, unknown>, opts: RowcastStartOptions = {}): Promise<RowcastHandle> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rowcast-bench-'));
  const args: RowcastServerArgs = {
    // The per-connection publish limit (42911) guards against runaway clients; benchmarks publish as fast as the
    // server takes it, so it is lifted out of their way.
    config: { port: 0, host: '127.0.0.1', keys: [BENCH_KEY], realtime: { maxInboundRate: 10_000_000 }, ...config, dataDir },
    configDir: fileURLToPath(new URL('..', import.meta.url)),
    triggerCapture: opts.triggerCapture,
    countChannel: opts.countChannel,
  };
  const child = (await startChild<{ port: number }>('lib/rowcast-server.ts', {
    args,
    // Source maps let the window profiler report TypeScript lines instead of tsx's one-line output.
    nodeFlags: opts.cpuProfDir ? ['--enable-source-maps', ...(opts.nodeFlags ?? [])] : opts.nodeFlags,

    quietStdout: true,
  })) as RowcastHandle;
  const profileFile = opts.cpuProfDir ? join(opts.cpuProfDir, `rowcast-${opts.profileLabel ?? 'server'}-${Date.now()}.cpuprofile`) : undefined;
  child.profileWindow = async <T>(measure: () => Promise<T>): Promise<T> => {
    if (!profileFile) return measure();
    await child.call('profile_start');
    try {
      return await measure();
    } finally {
      await child.call('profile_stop', { file: profileFile });
    }
  };
  const stop = child.stop;
  child.stop = async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return child;
}
