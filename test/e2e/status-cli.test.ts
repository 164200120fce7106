import { afterAll, beforeAll, expect, it } from 'vitest';
import * as Ably from 'ably';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { clientOptions, spawnRowcast, type SpawnedRowcast } from '../support/rowcast.ts';
import { freePort } from '../support/ports.ts';

/** Issue 13: `rowcast status [--json]` prints the running server's health summary, from its admin API. */
const REPO = resolve(import.meta.dirname, '../..');
const ADMIN_KEY = 'status-admin-key-0123456789';
const run = promisify(execFile);
let server: SpawnedRowcast;
let client: Ably.Realtime;

async function status(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(REPO, 'packages/cli/bin/rowcast.js'), 'status', ...args], {
      cwd: REPO,
      env: { ...process.env, ROWCAST_ADMIN_KEY: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  server = await spawnRowcast({ admin: { key: ADMIN_KEY } });
  client = new Ably.Realtime(clientOptions(server, { key: server.keys.full, clientId: 'watcher' }) as Ably.ClientOptions);
  await client.channels.get('status-room').presence.enter();
  await client.channels.get('status-room').publish('m', 'counted');
});

afterAll(async () => {
  client?.close();
  await server?.stop();
});

it('prints a readable summary for a terminal', async () => {
  const out = await status('--config', server.configPath);
  expect(out.code).toBe(0);
  expect(out.stdout).toMatch(/^Rowcast at http:\/\/127\.0\.0\.1:\d+: healthy/);
  expect(out.stdout).toMatch(/connections +1 connected/);
  expect(out.stdout).toMatch(/channels +1 active/);
  expect(out.stdout).toMatch(/traffic +1 messages in/);
});

it('prints JSON for scripts', async () => {
  const out = await status('--config', server.configPath, '--json');
  expect(out.code).toBe(0);
  const summary = JSON.parse(out.stdout);
  expect(summary).toMatchObject({
    ok: true,
    engine: 'memory',
    connections: { connected: 1 },
    channels: 1,
    traffic: { messagesIn: 1, presenceIn: 1 },
  });
});

it('fails with a clear message on a wrong key or no server', async () => {
  const refused = await status('--config', server.configPath, '--admin-key', 'wrong-key-0123456789');
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('answered 403');
  const nobody = await status('--url', `http://127.0.0.1:${await freePort()}`, '--admin-key', ADMIN_KEY);
  expect(nobody.code).toBe(1);
  expect(nobody.stderr).toContain('cannot reach');
});
