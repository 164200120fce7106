import { expect, it } from 'vitest';
import * as Ably from 'ably';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { clientOptions, spawnRowcast, until } from '../support/rowcast.ts';

/** Issue 2: the `rowcast start` command - config, generated key, clean shutdown on SIGTERM/SIGINT. */
const REPO = resolve(import.meta.dirname, '../..');

it.each(['SIGTERM', 'SIGINT'] as const)('on %s, connected clients get DISCONNECTED and the process exits 0', async (signal) => {
  const server = await spawnRowcast();
  const client = new Ably.Realtime(clientOptions(server, { key: server.keys.full }) as Ably.ClientOptions);
  await client.connection.once('connected');
  const reasons: Array<number | undefined> = [];
  client.connection.on('disconnected', (change) => void reasons.push(change.reason?.code));
  const code = await server.kill(signal);
  expect(code).toBe(0);
  // The server said goodbye with DISCONNECTED (80003) rather than just dropping the socket.
  await until(() => reasons.length > 0, 'the disconnected state');
  expect(reasons[0]).toBe(80003);
  client.close();
  await server.stop();
});

it('with no keys configured, generates one full-rights key, prints it, and accepts it', async () => {
  const server = await spawnRowcast({ keys: [] });
  try {
    const printed = /generated full-rights key ([^\s"]+:[^\s"]+)/.exec(server.output());
    expect(printed).not.toBeNull();
    const client = new Ably.Realtime(clientOptions(server, { key: printed![1] }) as Ably.ClientOptions);
    await client.connection.once('connected');
    const received: string[] = [];
    const ch = client.channels.get('anything');
    await ch.subscribe((m) => void received.push(String(m.data)));
    await ch.publish('x', 'works');
    await until(() => received.includes('works'), 'the echo');
    client.close();
  } finally {
    await server.stop();
  }
});

it('refuses an invalid config naming the bad field, and exits 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rowcast-badconfig-'));
  try {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ port: 'x', keys: [{ name: 'a.b', secret: 'short' }] }));
    const child = spawn(process.execPath, [join(REPO, 'packages/cli/bin/rowcast.js'), 'start', '--config', file], { cwd: dir });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((ok) => child.on('exit', ok));
    expect(code).toBe(1);
    expect(err).toMatch(/port:/);
    expect(err).toMatch(/keys\.0\.secret: must be at least 8 characters/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
