import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as Ably from 'ably';
import { deletePrefix, uniquePrefix } from '../../packages/broker-redis/src/testing/redis-test-support.ts';
import { freePort } from '../support/ports.ts';
import { TestRedisServer } from '../support/redis-server.ts';
import { clientOptions, clusterClientOptions, spawnRowcast, startRowcast, type SpawnedRowcast, type TestRowcast } from '../support/rowcast.ts';

/**
 * Issue 8: a signed TokenRequest is redeemed once per cluster, not once per node. The same TokenRequest, made
 * by the real SDK's `auth.createTokenRequest`, is taken to node A (a token) and then to node B: 40105, as Ably
 * answers a replayed nonce wherever it lands. Nodes listen on the same port of 127.0.0.1 and .2.
 */
const redisUrl = inject('redisUrl');
const HOSTS = ['127.0.0.1', '127.0.0.2'];

/** Redeems `tokenRequest` at a server the way a key-less client does: handed over by its authCallback. */
function redeem(options: Record<string, unknown>, tokenRequest: Ably.TokenRequest): Promise<Ably.TokenDetails> {
  const authCallback = (_p: unknown, cb: (e: null, t: Ably.TokenRequest) => void) => cb(null, tokenRequest);
  return new Ably.Rest({ ...options, authCallback } as Ably.ClientOptions).auth.requestToken();
}

/** The refusal `promise` ends with, as { code, statusCode }; undefined when it succeeds. */
async function refusal(promise: Promise<unknown>): Promise<{ code: number; statusCode: number } | undefined> {
  try {
    await promise;
  } catch (err) {
    const { code, statusCode } = err as Ably.ErrorInfo;
    return { code, statusCode };
  }
  return undefined;
}

describe.skipIf(!redisUrl)(redisUrl ? 'a signed TokenRequest in a Redis cluster' : 'cluster TokenRequest: SKIPPED, no Redis (set REDIS_URL)', () => {
  const prefix = uniquePrefix('cluster-token-request');
  const nodes: SpawnedRowcast[] = [];
  const realtimes: Ably.Realtime[] = [];
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    nodes.push(...(await Promise.all(HOSTS.map((host) => spawnRowcast({ redis: { url: redisUrl, prefix }, host }, { port })))));
  });
  afterAll(async () => {
    for (const c of realtimes) c.close();
    for (const n of nodes) await n.stop();
    await deletePrefix(redisUrl, prefix);
  });

  /** Options for a client of node `i` only (no fallback to the other node, which would blur which node answered). */
  const on = (i: number, options: Record<string, unknown>) => clusterClientOptions({ hosts: HOSTS, port }, i, options, false);

  /** A TokenRequest signed by a key holder (an app's auth endpoint), with the SDK. */
  const signed = (params: Ably.TokenParams) =>
    new Ably.Rest(on(0, { key: nodes[0]!.keys.full }) as Ably.ClientOptions).auth.createTokenRequest(params);

  const redeemAt = (i: number, tokenRequest: Ably.TokenRequest) => redeem(on(i, {}), tokenRequest);

  it('redeemed on node A, the same TokenRequest is refused on node B with 40105; a fresh one works on B', async () => {
    const tokenRequest = await signed({ clientId: 'roamer', capability: { 'room*': ['publish', 'subscribe'] } });
    const fromA = await redeemAt(0, tokenRequest);
    expect(fromA.clientId).toBe('roamer');

    expect(await refusal(redeemAt(1, tokenRequest))).toEqual({ code: 40105, statusCode: 401 });
    expect(await refusal(redeemAt(0, tokenRequest))).toEqual({ code: 40105, statusCode: 401 });

    // Node B is well and issues tokens for requests it has not seen; A's token is good on B too.
    expect((await redeemAt(1, await signed({ clientId: 'roamer' }))).clientId).toBe('roamer');
    const onB = new Ably.Realtime(on(1, { token: fromA.token }) as Ably.ClientOptions);
    realtimes.push(onB);
    await onB.connection.once('connected');
    expect(onB.auth.clientId).toBe('roamer');
  });

  it('the same TokenRequest sent to both nodes at once gets one token and one 40105', async () => {
    const tokenRequest = await signed({ clientId: 'racer' });
    const outcomes = await Promise.all([0, 1, 0, 1].map((i) => refusal(redeemAt(i, tokenRequest))));
    expect(outcomes.filter((o) => o === undefined)).toHaveLength(1);
    expect(outcomes.filter((o) => o !== undefined)).toEqual([...Array(3)].map(() => ({ code: 40105, statusCode: 401 })));
  });
});

/**
 * While the node cannot reach Redis it cannot know whether another node redeemed a nonce, so it refuses signed
 * TokenRequests with a 5xx (the client may try again) rather than risk a replay; once Redis is back they work.
 * The test runs its own redis-server to kill.
 */
describe.skipIf(!redisUrl)(
  redisUrl ? 'a signed TokenRequest while Redis is down' : 'TokenRequest without Redis: SKIPPED, no Redis (set REDIS_URL)',
  () => {
    let redis: TestRedisServer;
    let node: TestRowcast;

    beforeAll(async () => {
      redis = await TestRedisServer.create(['--save', '', '--appendonly', 'no']);
      await redis.start();
      node = await startRowcast({ redis: { url: redis.url, prefix: 'nonce-outage:' } });
    });
    afterAll(async () => {
      await node?.close();
      await redis?.kill();
    });

    it('refused with 50000 while Redis is down, accepted again once it is back', async () => {
      const signer = new Ably.Rest(clientOptions(node, { key: node.keys.full }) as Ably.ClientOptions);
      const at = clientOptions(node);
      expect((await redeem(at, await signer.auth.createTokenRequest({ clientId: 'before' }))).clientId).toBe('before');

      await redis.kill();
      const during = await signer.auth.createTokenRequest({ clientId: 'during' });
      expect(await refusal(redeem(at, during))).toEqual({ code: 50000, statusCode: 500 });
      // Unsigned token params sent with the key itself (no nonce involved) do not depend on Redis.
      const unsigned = await fetch(`${node.url}/keys/app1.full/requestToken`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(node.keys.full).toString('base64')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'keyholder' }),
      });
      expect(unsigned.status).toBe(201);

      await redis.start();
      // The node reconnects on its own; the refused request was never redeemed, so it is good now (once).
      let after: Ably.TokenDetails | undefined;
      for (const deadline = Date.now() + 15_000; !after && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
        after = await redeem(at, during).catch(() => undefined);
      }
      expect(after?.clientId).toBe('during');
      expect(await refusal(redeem(at, during))).toEqual({ code: 40105, statusCode: 401 });
    });
  },
);
