import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as Ably from 'ably';
import { createJwt } from '@rowcast/core';
import { useInProcessCluster } from '../support/in-process-cluster.ts';
import { clientOptions, startRowcast, TEST_KEYS, type TestRowcast } from '../support/rowcast.ts';

/**
 * Token revocation as on Ably (`auth.revokeTokens`, RSA17): tokens of a key with revocable tokens, matched by
 * clientId or by a JWT's revocation key, are refused from then on (40141) and connected clients holding them
 * are disconnected with 40141; other clients are untouched. In a Redis cluster the revocation made through one
 * node reaches clients of every node.
 */
const REVOCABLE = { name: 'app1.revocable', secret: 'revocablesecret', capability: { '*': ['*'] }, revocableTokens: true };
const REVOCABLE_KEY = `${REVOCABLE.name}:${REVOCABLE.secret}`;
const KEYS = [...TEST_KEYS, REVOCABLE];
const redisUrl = inject('redisUrl');

/** What a REST request with a bare token gets (the SDK would turn a 4014x into its own 40171: it cannot renew). */
async function bearerAnswer(server: { url: string }, token: string): Promise<{ status: number; code?: number }> {
  const res = await fetch(`${server.url}/channels/x/messages`, {
    headers: { authorization: `Bearer ${Buffer.from(token).toString('base64')}` },
  });
  const body = (await res.json()) as { error?: { code: number } };
  return { status: res.status, code: body.error?.code };
}

async function refusal(work: () => Promise<unknown>): Promise<{ code: number; statusCode: number }> {
  try {
    await work();
  } catch (err) {
    const { code, statusCode } = err as Ably.ErrorInfo;
    return { code, statusCode };
  }
  throw new Error('expected a refusal');
}

describe('revokeTokens on one node', () => {
  let server: TestRowcast;
  const clients: Ably.Realtime[] = [];
  beforeAll(async () => {
    server = await startRowcast({ keys: KEYS });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.close();
  });
  const rest = (options: Record<string, unknown>) => new Ably.Rest(clientOptions(server, options) as Ably.ClientOptions);
  const realtime = (options: Record<string, unknown>) => {
    const client = new Ably.Realtime(clientOptions(server, options) as Ably.ClientOptions);
    clients.push(client);
    return client;
  };

  it('disconnects the revoked clientId with 40141, refuses its token on REST, and leaves the others alone', async () => {
    const admin = rest({ key: REVOCABLE_KEY });
    const [mallory, alice] = await Promise.all([admin.auth.requestToken({ clientId: 'mallory' }), admin.auth.requestToken({ clientId: 'alice' })]);
    const malloryRt = realtime({ token: mallory });
    const aliceRt = realtime({ token: alice });
    await Promise.all([malloryRt.connection.once('connected'), aliceRt.connection.once('connected')]);
    const disconnected = malloryRt.connection.once('disconnected');

    const result = await admin.auth.revokeTokens([
      { type: 'clientId', value: 'mallory' },
      { type: 'invalidType', value: 'abc' },
    ]);
    expect([result.successCount, result.failureCount]).toEqual([1, 1]);
    const ok = result.results[0] as Ably.TokenRevocationSuccessResult;
    expect(ok.target).toBe('clientId:mallory');
    expect(typeof ok.issuedBefore).toBe('number');
    expect(typeof ok.appliesAt).toBe('number');
    expect((result.results[1] as Ably.TokenRevocationFailureResult).error.statusCode).toBe(400);

    expect((await disconnected).reason?.code).toBe(40141);
    // A bare token cannot be renewed: the SDK gives up.
    await malloryRt.connection.whenState('failed');
    expect(await bearerAnswer(server, mallory.token)).toEqual({ status: 401, code: 40141 });

    // alice still works, on both APIs.
    expect(aliceRt.connection.state).toBe('connected');
    expect((await bearerAnswer(server, alice.token)).status).toBe(200);
    // A token issued after the revocation is not covered by it.
    const fresh = await admin.auth.requestToken({ clientId: 'mallory' });
    expect((await bearerAnswer(server, fresh.token)).status).toBe(200);
  });

  it('revokes a JWT by its x-ably-revocation-key', async () => {
    const jwt = createJwt(REVOCABLE, { ttlMs: 60_000, clientId: 'jwt-user', revocationKey: 'group-7', now: Date.now() - 2000 });
    const client = realtime({ token: jwt });
    await client.connection.once('connected');
    const disconnected = client.connection.once('disconnected');
    await rest({ key: REVOCABLE_KEY }).auth.revokeTokens([{ type: 'revocationKey', value: 'group-7' }]);
    expect((await disconnected).reason?.code).toBe(40141);
  });

  it('postpones by 30 s with allowReauthMargin and keeps an explicit issuedBefore', async () => {
    const admin = rest({ key: REVOCABLE_KEY });
    const now = await admin.time();
    const issuedBefore = now - 20 * 60_000;
    const result = await admin.auth.revokeTokens([{ type: 'clientId', value: 'later' }], { issuedBefore, allowReauthMargin: true });
    const ok = result.results[0] as Ably.TokenRevocationSuccessResult;
    expect(ok.issuedBefore).toBe(issuedBefore);
    expect(ok.appliesAt).toBeGreaterThanOrEqual(now + 30_000);
  });

  it('is refused for a key without revocable tokens (40163) and with another key (40133)', async () => {
    const full = rest({ key: 'app1.full:fullsecret' });
    expect(await refusal(() => full.auth.revokeTokens([{ type: 'clientId', value: 'x' }]))).toMatchObject({ code: 40163 });
    const res = await fetch(`${server.url}/keys/${REVOCABLE.name}/revokeTokens`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('app1.full:fullsecret').toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ targets: ['clientId:x'] }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(40133);
  });
});

describe.skipIf(!redisUrl)(redisUrl ? 'revokeTokens in a Redis cluster' : 'revokeTokens in a cluster: SKIPPED, no Redis (set REDIS_URL)', () => {
  const cluster = useInProcessCluster(redisUrl, 'revocation', 2, { keys: KEYS });

  it('a revocation made through node A disconnects a client of node B and is refused by B', async () => {
    const [a, b] = cluster.nodes() as [TestRowcast, TestRowcast];
    const adminA = new Ably.Rest(clientOptions(a, { key: REVOCABLE_KEY }) as Ably.ClientOptions);
    const token = await adminA.auth.requestToken({ clientId: 'roamer' });
    const client = cluster.track(new Ably.Realtime(clientOptions(b, { token }) as Ably.ClientOptions));
    await client.connection.once('connected');
    const disconnected = client.connection.once('disconnected');
    await adminA.auth.revokeTokens([{ type: 'clientId', value: 'roamer' }]);
    expect((await disconnected).reason?.code).toBe(40141);
    expect(await bearerAnswer(b, token.token)).toEqual({ status: 401, code: 40141 });
  });
});
