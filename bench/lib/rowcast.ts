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
  cpuProfDir?: string;
  /** Names the profile file (`<label>.cpuprofile`): which run of the benchmark this server served. */
  profileLabel?: string;
  nodeFlags?: string[];
  triggerCapture?: RowcastServerArgs['triggerCapture'];
  countChannel?: string;
}

/**
 * Starts Rowcast in its own process with `config` (keys default to the bench key), a fresh data directory and
 * a free port; relative module paths in the config resolve against bench/; `stop()` also removes the data directory.
 */
export async function startRowcast(config: Record<string, unknown>, opts: RowcastStartOptions = {}): Promise<ChildHandle<{ port: number }>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rowcast-bench-'));
  const args: RowcastServerArgs = {
    config: { port: 0, host: '127.0.0.1', keys: [BENCH_KEY], ...config, dataDir },
    configDir: fileURLToPath(new URL('..', import.meta.url)),
    triggerCapture: opts.triggerCapture,
    countChannel: opts.countChannel,
  };
  const child = await startChild<{ port: number }>('lib/rowcast-server.ts', {
    args,
    nodeFlags: opts.nodeFlags,
    cpuProfDir: opts.cpuProfDir,
    cpuProfName: opts.profileLabel ? `rowcast-${opts.profileLabel}-${Date.now()}` : undefined,
    quietStdout: true,
  });
  const stop = child.stop;
  child.stop = async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return child;
}
