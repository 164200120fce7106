import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisOutageProbe } from '../support/redis-outage-probe.ts';
import { TestRedisServer } from '../support/redis-server.ts';
import { startRowcast, until, type TestRowcast } from '../support/rowcast.ts';

/**
 * Issue 17: Sentinel-managed failovers under a two-node cluster configured with `redis: { sentinels, name }`.
 * Two redis-servers without persistence (a primary and its replica) and one Sentinel, all started here. The
 * primary is killed; the Sentinel promotes the replica; the nodes follow it, recover onto it and go on; the
 * killed server comes back as the new primary's replica, and the next round fails over back to it. Every
 * acknowledged message reaches both subscribers exactly once, in order (or the subscriber is told the channel
 * lost continuity), and presence is whole over REST and for new clients within 5 s of each promotion.
 */
const redisUrl = inject('redisUrl');
const MASTER = 'rowcast-test';

describe.skipIf(!redisUrl)(redisUrl ? 'Sentinel failovers under a cluster' : 'Sentinel failover: SKIPPED, no Redis (set REDIS_URL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rowcast-sentinel-'));
  const servers: TestRedisServer[] = [];
  let sentinel: TestRedisServer;
  let sentinelClient: Redis;
  const nodes: TestRowcast[] = [];
  let probe: RedisOutageProbe | undefined;

  beforeAll(async () => {
    for (const name of ['a', 'b'])
      servers.push(await TestRedisServer.create(['--dir', dir, '--dbfilename', `${name}.rdb`, '--appendonly', 'no', '--save', '']));
    await servers[0].start();
    await servers[1].start(['--replicaof', '127.0.0.1', String(servers[0].port)]);
    await replicaInSync(servers[1]);
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `sentinel monitor ${MASTER} 127.0.0.1 ${servers[0].port} 1`,
        `sentinel down-after-milliseconds ${MASTER} 1000`,
        `sentinel failover-timeout ${MASTER} 5000`,
        `sentinel parallel-syncs ${MASTER} 1`,
        '',
      ].join('\n'),
    );
    sentinel = await TestRedisServer.create(['--sentinel', '--dir', dir], conf);
    await sentinel.start();
    sentinelClient = new Redis({ port: sentinel.port, maxRetriesPerRequest: null });
    const sentinels = [{ host: '127.0.0.1', port: sentinel.port }];
    for (let i = 0; i < 2; i++) nodes.push(await startRowcast({ redis: { sentinels, name: MASTER, prefix: 'sentinel:' } }));
  });
  afterAll(async () => {
    probe?.close();
    for (const n of nodes) await n.close();
    sentinelClient?.disconnect();
    await sentinel?.kill();
    for (const s of servers) await s.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('follows 3 failovers to the replica with no acknowledged message lost silently and presence whole', { timeout: 150_000 }, async () => {
    probe = await RedisOutageProbe.start(nodes, 'sentinel-feed');
    await probe.startPublishing(50);
    const presenceMs: number[] = [];
    let primary = 0;
    for (let round = 0; round < 3; round++) {
      const replica = 1 - primary;
      await sleep(1500);
      await servers[primary].kill();
      await eventually(async () => (await primaryPort()) === servers[replica].port, `the Sentinel to promote the replica (round ${round + 1})`);
      presenceMs.push(await probe.presenceShowsMembers(5000));
      // The killed server comes back empty as the new primary's replica, ready for the next round.
      await servers[primary].start(['--replicaof', '127.0.0.1', String(servers[replica].port)]);
      await replicaInSync(servers[primary]);
      primary = replica;
    }
    await sleep(1500);
    await probe.stopPublishing();
    await until(() => probe!.caughtUp(), 'both subscribers to get the last acknowledged messages', 30_000);

    const counts = probe.counts();
    console.log('sentinel failovers:', JSON.stringify({ counts, presenceMs, missing: probe.missing(), signals: probe.signals() }));
    expect(probe.verify()).toEqual([]);
    expect(counts.pending).toBe(0);
    expect(counts.acked).toBeGreaterThan(counts.refused * 10);
  });

  async function primaryPort(): Promise<number | undefined> {
    const addr = (await sentinelClient.call('SENTINEL', 'get-master-addr-by-name', MASTER)) as [string, string] | null;
    return addr ? Number(addr[1]) : undefined;
  }
});

/** Waits until `server` is a replica whose link to its primary is up and whose initial sync is done. */
async function replicaInSync(server: TestRedisServer): Promise<void> {
  const client = new Redis({ port: server.port, maxRetriesPerRequest: null });
  try {
    await eventually(async () => {
      const info = await client.info('replication');
      return /master_link_status:up/.test(info) && /master_sync_in_progress:0/.test(info);
    }, `redis-server on ${server.port} to finish syncing with its primary`);
  } finally {
    client.disconnect();
  }
}

/** Polls an asynchronous condition every 100 ms; fails with `what` after 30 s. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
