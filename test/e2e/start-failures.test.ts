import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TEST_KEYS } from '../support/rowcast.ts';

/**
 * `rowcast start` that cannot start says why and what to do in one line on stderr, exits 1, and prints no stack
 * trace: a port already in use, a PostgreSQL that does not answer.
 */

const REPO = resolve(import.meta.dirname, '../..');

async function startFailure(config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'rowcast-startfail-'));
  try {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ host: '127.0.0.1', keys: TEST_KEYS, dataDir: join(dir, 'data'), ...config }));
    const child = spawn(process.execPath, [join(REPO, 'packages/cli/bin/rowcast.js'), 'start', '--config', file], {
      cwd: dir,
      env: { ...process.env, PORT: '', DATABASE_URL: '', REDIS_URL: '', ROWCAST_DEBUG: '', ...env },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((ok) => child.on('exit', ok));
    return { code, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function lastLine(stderr: string): string {
  return stderr.trim().split('\n').at(-1)!;
}

describe('rowcast start failures', { timeout: 60_000 }, () => {
  it('a port already in use: one line naming the port and the fix, exit 1, no stack', async () => {
    const taken = createServer();
    await new Promise<void>((ok) => taken.listen(0, '127.0.0.1', ok));
    const port = (taken.address() as { port: number }).port;
    try {
      const { code, stderr } = await startFailure({ port });
      expect(code).toBe(1);
      expect(lastLine(stderr)).toBe(
        `rowcast: port ${port} is already in use (127.0.0.1:${port}): stop what listens there, or choose another port with --port or PORT`,
      );
      expect(stderr).not.toMatch(/^\s+at /m);
    } finally {
      taken.close();
    }
  });

  it('a PostgreSQL that does not answer: one line naming the address and the setting to correct', async () => {
    const { code, stderr } = await startFailure(
      // an app's migrations need the database before the server can serve (the change stream would wait and retry)
      { port: 0, apps: [{ name: 'needsdb', migrations: join(REPO, 'apps/chat/migrations') }] },
      { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' },
    );
    expect(code).toBe(1);
    expect(lastLine(stderr)).toMatch(
      /^rowcast: nothing answers at 127\.0\.0\.1:1: start that service, or correct its URL \(database\.url \/ DATABASE_URL/,
    );
    expect(stderr).not.toMatch(/^\s+at /m);
  });
});
