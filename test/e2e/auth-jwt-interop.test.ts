import { describe, expect, it } from 'vitest';
import type * as Ably from 'ably';
import { SignJWT, jwtVerify } from 'jose';
import { createJwt } from '@rowcast/core';
import { useRowcast } from '../support/use-rowcast.ts';

/**
 * JWTs made by another library (jose, as an auth server would) against Rowcast through the real SDK, and the
 * registered time claims honoured as RFC 7519 says: a token whose `nbf` is still ahead is refused.
 */

const { server, rest, realtime } = useRowcast();
const SECRET = new TextEncoder().encode('fullsecret');

/** An Ably JWT signed by jose with the full key: `kid` names the key, times in seconds. */
function joseJwt(claims: { clientId?: string; nbfSecondsFromNow?: number; ttlSeconds?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ 'x-ably-capability': JSON.stringify({ '*': ['*'] }), ...(claims.clientId ? { 'x-ably-clientId': claims.clientId } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: 'app1.full' })
    .setIssuedAt(now)
    .setExpirationTime(now + (claims.ttlSeconds ?? 3600));
  if (claims.nbfSecondsFromNow !== undefined) jwt.setNotBefore(now + claims.nbfSecondsFromNow);
  return jwt.sign(SECRET);
}

async function errorOf(promise: Promise<unknown>): Promise<Ably.ErrorInfo> {
  try {
    await promise;
  } catch (err) {
    return err as Ably.ErrorInfo;
  }
  throw new Error('expected a refusal');
}

describe('JWT interoperability', () => {
  it('a jose-made JWT (nbf already passed) publishes over REST and connects over realtime with its clientId', async () => {
    const token = await joseJwt({ clientId: 'jose-user', nbfSecondsFromNow: -5 });
    await rest({ token }).channels.get('jwt-interop').publish('hello', 'from jose');
    const client = realtime({ token });
    await client.connection.once('connected');
    expect(client.auth.clientId).toBe('jose-user');
    const page = await rest({ key: 'app1.full:fullsecret' }).channels.get('jwt-interop').history();
    expect(page.items.map((m) => [m.name, m.data, m.clientId])).toEqual([['hello', 'from jose', 'jose-user']]);
  });

  it('a JWT whose nbf is still ahead is refused with the token error 40140 (401), over REST and realtime', async () => {
    const token = await joseJwt({ nbfSecondsFromNow: 300 });
    // the server's answer, as any HTTP client sees it (Ably's REST auth: Bearer + base64 of the token)
    const answer = await fetch(`${server().url}/channels/jwt-early/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${Buffer.from(token).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'too', data: 'early' }),
    });
    const body = (await answer.json()) as { error: { code: number; statusCode: number; message: string } };
    expect([answer.status, body.error.code]).toEqual([401, 40140]);
    expect(body.error.message).toMatch(/not yet valid/);
    // the SDK holding only that token treats it as a token error it has no means to renew
    const refused = await errorOf(rest({ token }).channels.get('jwt-early').publish('too', 'early'));
    expect(refused.code).toBe(40171);

    // with a callback the SDK fetches a new token after the refusal, as it does for any token error
    const served: string[] = [];
    const client = realtime({
      authCallback: (_params, callback) => {
        const next = served.length === 0 ? joseJwt({ nbfSecondsFromNow: 300 }) : joseJwt({ clientId: 'second-try' });
        void next.then((t) => {
          served.push(t);
          callback(null, t);
        });
      },
    });
    await client.connection.once('connected');
    expect(served).toHaveLength(2);
    expect(client.auth.clientId).toBe('second-try');
  });

  it("Rowcast's own JWTs verify with jose against the key's secret, claims intact", async () => {
    const jwt = createJwt(
      { name: 'app1.full', secret: 'fullsecret' },
      { ttlMs: 60_000, clientId: 'round-trip', capability: { 'a*': ['publish'] }, now: Date.now() },
    );
    const { payload, protectedHeader } = await jwtVerify(jwt, SECRET, { algorithms: ['HS256'] });
    expect(protectedHeader).toMatchObject({ alg: 'HS256', kid: 'app1.full' });
    expect(payload).toMatchObject({ 'x-ably-clientId': 'round-trip', 'x-ably-capability': JSON.stringify({ 'a*': ['publish'] }) });
    expect(payload.exp! - payload.iat!).toBe(60);
    await expect(jwtVerify(jwt, new TextEncoder().encode('wrongsecret'))).rejects.toThrow(/signature/);
  });
});
