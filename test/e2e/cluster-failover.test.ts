import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as Ably from 'ably';
import { deletePrefix, uniquePrefix } from '../../packages/broker-redis/src/testing/redis-test-support.ts';
import { freePort } from '../support/ports.ts';
import { clusterClientOptions, spawnRowcast, until, type SpawnedRowcast } from '../support/rowcast.ts';

/**
 * Issue 8: presence across three nodes, and a node killed with SIGKILL. The nodes listen on the same port of
 * 127.0.0.1, .2 and .3, so an SDK client can name the others as fallback hosts and reconnect there on its own.
 */
const redisUrl = inject('redisUrl');
const LEAVE_DELAY_MS = 3000;
const HOSTS = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];

describe.skipIf(!redisUrl)(redisUrl ? 'a node of a Redis cluster killed with SIGKILL' : 'cluster failover: SKIPPED, no Redis (set REDIS_URL)', () => {
  const prefix = uniquePrefix('cluster-failover');
  const nodes: SpawnedRowcast[] = [];
  const clients: Ably.Realtime[] = [];
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    const config = { redis: { url: redisUrl, prefix, livenessTtlMs: 1000 }, realtime: { presenceLeaveDelayMs: LEAVE_DELAY_MS } };
    nodes.push(...(await Promise.all(HOSTS.map((host) => spawnRowcast({ ...config, host }, { port })))));
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const n of nodes) await n.stop();
    await deletePrefix(redisUrl, prefix);
  });

  /** A client whose home is node `i`; with `failover`, the other nodes are its fallback hosts. */
  async function connect(i: number, clientId: string, failover = true): Promise<Ably.Realtime> {
    const client = new Ably.Realtime(
      clusterClientOptions({ hosts: HOSTS, port }, i, { key: nodes[i].keys.full, clientId }, failover) as Ably.ClientOptions,
    );
    clients.push(client);
    await client.connection.once('connected');
    return client;
  }

  it('presence entered on three nodes is seen in full from each; after SIGKILL its members leave after the delay and its clients resume on the other nodes with no message lost', async () => {
    const onA = await connect(0, 'roamer');
    const stranded = await connect(0, 'stranded', false);
    const onB = await connect(1, 'bee');
    const onC = await connect(2, 'sea');
    const room = (c: Ably.Realtime) => c.channels.get('failover-room');
    await Promise.all([onA, stranded, onB, onC].map((c) => room(c).presence.enter(c.auth.clientId)));

    // Everyone, on every node, sees the four members.
    for (const c of [onA, onB, onC]) {
      expect(await eventually(async () => (await room(c).presence.get()).map((m) => m.clientId).sort(), ['bee', 'roamer', 'sea', 'stranded'])).toBe(
        true,
      );
    }
    const events: Array<{ action: string; clientId: string; connectionId: string; at: number }> = [];
    await room(onB).presence.subscribe(
      (p) => void events.push({ action: p.action!, clientId: p.clientId!, connectionId: p.connectionId!, at: Date.now() }),
    );

    // onA subscribes to a feed published from node B; node A dies a third of the way through.
    const received: Ably.InboundMessage[] = [];
    await onA.channels.get('failover-feed').subscribe((m) => void received.push(m));
    const roamerConnection = onA.connection.id;
    const strandedConnection = stranded.connection.id;
    const feed = onB.channels.get('failover-feed');
    let killedAt = 0;
    for (let i = 0; i < 300; i++) {
      await feed.publish('tick', String(i));
      if (i === 99) {
        killedAt = Date.now(); // before the kill: its effects can start before kill() resolves
        await nodes[0].kill('SIGKILL');
      }
    }

    // The roaming client reconnected to B or C by itself, resumed its connection (same connectionId) and got
    // every message once, in order.
    await until(() => received.length >= 300, 'all 300 messages on the client of the killed node', 60_000);
    expect(received.map((m) => m.data)).toEqual(Array.from({ length: 300 }, (_, i) => String(i)));
    expect(onA.connection.state).toBe('connected');
    expect(onA.connection.id).toBe(roamerConnection);

    // The stranded member of the killed node leaves (expiry, not goodbye), once, after the delay; the resumed
    // one stays, without a leave/enter flap.
    const left = await until(
      () => events.find((e) => e.action === 'leave' && e.connectionId === strandedConnection),
      'the stranded member to leave',
      30_000,
    );
    expect(left.clientId).toBe('stranded');
    expect(left.at - killedAt).toBeGreaterThanOrEqual(LEAVE_DELAY_MS);
    await new Promise((r) => setTimeout(r, 1500));
    expect(events.filter((e) => e.action === 'leave')).toEqual([left]);
    expect(events.filter((e) => e.clientId === 'roamer')).toEqual([]);
    const after = await room(onC).presence.get();
    expect(after.map((m) => `${m.clientId}@${m.connectionId === roamerConnection ? 'resumed' : 'other'}`).sort()).toEqual([
      'bee@other',
      'roamer@resumed',
      'sea@other',
    ]);
  });
});

/** Polls `read` until it equals `expected` (presence events travel between nodes asynchronously); false after 15 s. */
async function eventually(read: () => Promise<unknown>, expected: unknown): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await read();
    if (JSON.stringify(last) === JSON.stringify(expected)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`still ${JSON.stringify(last)}, expected ${JSON.stringify(expected)}`);
}
