import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import * as Ably from 'ably';
import type { ApiKey } from './api.js';
import { createAuthenticator } from './authenticator.js';
import { createJwt } from './jwt.js';
import { MAX_TOKEN_TTL_MS } from './token.js';
import { silentLogger } from '../ports/logger.js';
import { MemoryNonceStore } from './memory-nonce-store.js';
import type { NonceStore } from './nonce-store.js';
import { NONCE_CLOCK_MARGIN_MS, TOKEN_REQUEST_WINDOW_MS } from './token-request.js';

const FULL: ApiKey = { name: 'app1.full', secret: 'fullsecret', capability: { '*': ['*'] } };
const SUB: ApiKey = { name: 'app1.sub', secret: 'subsecret', capability: { 'room*': ['subscribe', 'presence'] } };

function setup(start = Date.now()) {
  let now = start;
  const auth = createAuthenticator({ keys: [FULL, SUB], clock: () => now });
  return { auth, advance: (ms: number) => (now += ms), now: () => now };
}

/** A TokenRequest exactly as the SDK's client-side signing produces it (no network involved). */
async function sdkTokenRequest(key: ApiKey, params: Ably.TokenParams = {}) {
  const rest = new Ably.Rest({ key: `${key.name}:${key.secret}`, endpoint: '127.0.0.1', port: 9, tls: false });
  return (await rest.auth.createTokenRequest(params)) as unknown as Record<string, unknown>;
}

/** The Ably error code `fn` throws or rejects with; undefined when it succeeds. */
async function codeOf(fn: () => unknown): Promise<number | undefined> {
  try {
    await fn();
  } catch (err) {
    return (err as { code?: number }).code;
  }
  return undefined;
}

describe('TokenRequest exchange', () => {
  it('accepts a request signed by the real SDK and issues a token for its clientId and capability', async () => {
    const { auth, now } = setup();
    const req = await sdkTokenRequest(FULL, { clientId: 'alice', ttl: 5000, capability: { 'room*': ['publish', 'subscribe'] } });
    const details = await auth.requestToken('app1.full', req);
    expect(details.clientId).toBe('alice');
    expect(details.capability).toBe('{"room*":["publish","subscribe"]}');
    expect(details.expires - details.issued).toBe(5000);
    const creds = auth.authenticateToken(details.token);
    expect(creds).toMatchObject({ kind: 'token', keyName: 'app1.full', clientId: 'alice', expires: now() + 5000 });
    expect(creds.capability).toEqual({ 'room*': ['publish', 'subscribe'] });
  });

  it('accepts an SDK request with no params: default 60 min ttl, the key capability in its order, anonymous', async () => {
    const { auth } = setup();
    const details = await auth.requestToken('app1.sub', await sdkTokenRequest(SUB));
    expect(details.expires - details.issued).toBe(60 * 60_000);
    expect(JSON.parse(details.capability)).toEqual({ 'room*': ['subscribe', 'presence'] });
    expect(details.clientId).toBeUndefined();
  });

  it('produces the same MAC as the SDK for the same fields (createTokenRequest round trip)', async () => {
    const { auth } = setup();
    const ours = auth.createTokenRequest('app1.full', { clientId: 'bob', ttl: 1000, capability: { b: ['subscribe'], a: ['publish'] } });
    const theirs = await sdkTokenRequest(FULL, {
      clientId: 'bob',
      ttl: 1000,
      capability: { a: ['publish'], b: ['subscribe'] },
      timestamp: ours.timestamp,
      nonce: ours.nonce,
    } as Ably.TokenParams);
    expect(ours.mac).toBe(theirs.mac);
    expect(ours.capability).toBe(theirs.capability);
    expect((await auth.requestToken('app1.full', ours as never)).clientId).toBe('bob');
  });

  it('refuses a forged MAC with 40101', async () => {
    const { auth } = setup();
    const req = await sdkTokenRequest(FULL, { clientId: 'alice' });
    expect(await codeOf(() => auth.requestToken('app1.full', { ...req, clientId: 'mallory' }))).toBe(40101);
    const wrongSecret = await sdkTokenRequest({ ...FULL, secret: 'guess' });
    expect(await codeOf(() => auth.requestToken('app1.full', wrongSecret))).toBe(40101);
  });

  it('refuses a replayed nonce with 40105', async () => {
    const { auth } = setup();
    const req = await sdkTokenRequest(FULL);
    await auth.requestToken('app1.full', req);
    expect(await codeOf(() => auth.requestToken('app1.full', req))).toBe(40105);
    // A fresh request from the same key still works.
    expect((await auth.requestToken('app1.full', await sdkTokenRequest(FULL))).token).toBeTruthy();
  });

  it('remembers a nonce for as long as its request is inside the window, also when dated ahead', async () => {
    const { auth, now, advance } = setup();
    const ahead = await sdkTokenRequest(FULL, { timestamp: now() + TOKEN_REQUEST_WINDOW_MS - 1000 } as Ably.TokenParams);
    await auth.requestToken('app1.full', ahead);
    // One and a half windows later the request is still current (its timestamp is half a window ago).
    advance(TOKEN_REQUEST_WINDOW_MS * 1.5);
    expect(await codeOf(() => auth.requestToken('app1.full', ahead))).toBe(40105);
    advance(TOKEN_REQUEST_WINDOW_MS);
    expect(await codeOf(() => auth.requestToken('app1.full', ahead))).toBe(40104);
  });

  it('refuses a nonce redeemed through another authenticator sharing its NonceStore (nodes of a cluster)', async () => {
    const shared = new MemoryNonceStore({ now: Date.now });
    const nodeA = createAuthenticator({ keys: [FULL], nonces: shared });
    const nodeB = createAuthenticator({ keys: [FULL], nonces: shared });
    const req = await sdkTokenRequest(FULL);
    expect((await nodeA.requestToken('app1.full', req)).token).toBeTruthy();
    expect(await codeOf(() => nodeB.requestToken('app1.full', req))).toBe(40105);
  });

  it('asks the NonceStore only after the MAC and timestamp check, for the rest of the window plus the clock margin', async () => {
    const asked: Array<[string, string, number]> = [];
    const recording: NonceStore = {
      redeem: async (...args) => {
        asked.push(args);
        return true;
      },
    };
    const now = Date.now();
    const auth = createAuthenticator({ keys: [FULL], nonces: recording, clock: () => now });
    const forged = { ...(await sdkTokenRequest(FULL)), clientId: 'mallory' };
    expect(await codeOf(() => auth.requestToken('app1.full', forged))).toBe(40101);
    const stale = await sdkTokenRequest(FULL, { timestamp: now - TOKEN_REQUEST_WINDOW_MS - 1 } as Ably.TokenParams);
    expect(await codeOf(() => auth.requestToken('app1.full', stale))).toBe(40104);
    expect(asked).toEqual([]);
    const req = await sdkTokenRequest(FULL, { timestamp: now - 1000 } as Ably.TokenParams);
    await auth.requestToken('app1.full', req);
    expect(asked).toEqual([['app1.full', req.nonce, TOKEN_REQUEST_WINDOW_MS - 1000 + NONCE_CLOCK_MARGIN_MS]]);
  });

  it('refuses with 50000 (never issues) when the NonceStore cannot answer, and logs why', async () => {
    const errors: unknown[] = [];
    const logger = { ...silentLogger, error: (obj: object | string) => void errors.push(obj) };
    const down: NonceStore = { redeem: async () => Promise.reject(new Error('Redis is not connected')) };
    const auth = createAuthenticator({ keys: [FULL], nonces: down, logger });
    const refusal = await auth.requestToken('app1.full', await sdkTokenRequest(FULL)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refusal).toMatchObject({ code: 50000, statusCode: 500 });
    expect((refusal as Error).message).toMatch(/nonce/);
    expect(errors).toHaveLength(1);
    // Token requests that involve no nonce do not depend on the store.
    expect((await auth.requestToken('app1.full', { clientId: 'x' }, auth.authenticateKey('app1.full:fullsecret'))).clientId).toBe('x');
  });

  it('refuses a stale or future timestamp with 40104', async () => {
    const { auth, now } = setup();
    const stale = await sdkTokenRequest(FULL, { timestamp: now() - TOKEN_REQUEST_WINDOW_MS - 1000 } as Ably.TokenParams);
    expect(await codeOf(() => auth.requestToken('app1.full', stale))).toBe(40104);
    const future = await sdkTokenRequest(FULL, { timestamp: now() + TOKEN_REQUEST_WINDOW_MS + 1000 } as Ably.TokenParams);
    expect(await codeOf(() => auth.requestToken('app1.full', future))).toBe(40104);
  });

  it('refuses a capability outside the key with 40160, and a ttl above 24 h with 40003 (as Ably, not capped)', async () => {
    const { auth } = setup();
    const outside = await sdkTokenRequest(SUB, { capability: { lobby: ['publish'] } });
    expect(await codeOf(() => auth.requestToken('app1.sub', outside))).toBe(40160);
    expect(await codeOf(async () => auth.requestToken('app1.full', await sdkTokenRequest(FULL, { ttl: 10 * MAX_TOKEN_TTL_MS })))).toBe(40003);
    const longest = await auth.requestToken('app1.full', await sdkTokenRequest(FULL, { ttl: MAX_TOKEN_TTL_MS }));
    expect(longest.expires - longest.issued).toBe(MAX_TOKEN_TTL_MS);
  });

  it('refuses an unsigned request without credentials, accepts it from the key holder', async () => {
    const { auth } = setup();
    expect(await codeOf(() => auth.requestToken('app1.full', { clientId: 'x' }))).toBe(40101);
    const basic = auth.authenticateKey('app1.full:fullsecret');
    expect((await auth.requestToken('app1.full', { clientId: 'x' }, basic)).clientId).toBe('x');
  });

  it('a token-authenticated caller cannot widen its clientId or outlive its own token', async () => {
    const { auth } = setup();
    const basic = auth.authenticateKey('app1.full:fullsecret');
    const first = await auth.requestToken('app1.full', { clientId: 'carol', ttl: 10_000 }, basic);
    const creds = auth.authenticateToken(first.token);
    expect(await codeOf(() => auth.requestToken('app1.full', { clientId: 'dave' }, creds))).toBe(40102);
    const second = await auth.requestToken('app1.full', {}, creds);
    expect(second.clientId).toBe('carol');
    expect(second.expires).toBe(first.expires);
  });
});

describe('tokens', () => {
  it('expire with 40142', async () => {
    const { auth, advance } = setup();
    const details = await auth.requestToken('app1.full', { ttl: 5000 }, auth.authenticateKey('app1.full:fullsecret'));
    advance(4999);
    expect(auth.authenticateToken(details.token).keyName).toBe('app1.full');
    advance(1);
    expect(await codeOf(() => auth.authenticateToken(details.token))).toBe(40142);
  });

  it('are verified by another authenticator with the same keys (no shared state)', async () => {
    const a = setup().auth;
    const b = setup().auth;
    const details = await a.requestToken('app1.full', { clientId: 'z' }, a.authenticateKey('app1.full:fullsecret'));
    expect(b.authenticateToken(details.token).clientId).toBe('z');
  });

  it('refuse tampering (40101), garbage (40145) and unknown keys (40143)', async () => {
    const { auth } = setup();
    const details = await auth.requestToken('app1.sub', {}, auth.authenticateKey('app1.sub:subsecret'));
    const [payload, sig] = details.token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    claims.p = '{"*":["*"]}';
    const widened = `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
    expect(await codeOf(() => auth.authenticateToken(widened))).toBe(40101);
    expect(await codeOf(() => auth.authenticateToken('garbage'))).toBe(40145);
    expect(await codeOf(() => auth.authenticateToken('a.b'))).toBe(40145);
    const other = createAuthenticator({ keys: [{ name: 'app2.x', secret: 's', capability: { '*': ['*'] } }] });
    const foreign = await other.requestToken('app2.x', {}, other.authenticateKey('app2.x:s'));
    expect(await codeOf(() => auth.authenticateToken(foreign.token))).toBe(40143);
  });
});

describe('keys', () => {
  it('authenticate with the right secret only (40101 otherwise)', async () => {
    const { auth } = setup();
    expect(auth.authenticateKey('app1.sub:subsecret')).toMatchObject({ kind: 'basic', keyName: 'app1.sub', clientId: '*' });
    expect(await codeOf(() => auth.authenticateKey('app1.sub:wrong'))).toBe(40101);
    expect(await codeOf(() => auth.authenticateKey('app1.nope:subsecret'))).toBe(40101);
    expect(await codeOf(() => auth.authenticateKey('nocolon'))).toBe(40101);
  });
});

describe('keySecret', () => {
  it('gives a configured key its secret (rules sign webhooks with it), nothing for unknown keys', async () => {
    const { auth } = setup();
    expect(auth.keySecret?.('app1.sub')).toBe('subsecret');
    expect(auth.keySecret?.('app1.none')).toBeUndefined();
  });
});

describe('JWT', () => {
  it('connects with kid, capability and clientId claims', async () => {
    const { auth, now } = setup();
    const jwt = createJwt(FULL, { ttlMs: 60_000, clientId: 'jay', capability: { 'room*': ['publish'] }, now: now() });
    const creds = auth.authenticateToken(jwt);
    expect(creds).toMatchObject({ kind: 'jwt', keyName: 'app1.full', clientId: 'jay', capability: { 'room*': ['publish'] } });
  });

  it('cannot exceed the key capability (intersection), and expires with 40142', async () => {
    const { auth, now, advance } = setup();
    const jwt = createJwt(SUB, { ttlMs: 2000, capability: { '*': ['*'] }, now: now() });
    expect(auth.authenticateToken(jwt).capability).toEqual({ 'room*': ['subscribe', 'presence'] });
    advance(2000);
    expect(await codeOf(() => auth.authenticateToken(jwt))).toBe(40142);
  });

  it('may wrap a Rowcast token (x-ably-token), which then decides the rights', async () => {
    const { auth, now } = setup();
    const inner = await auth.requestToken('app1.sub', { clientId: 'wrapped' }, auth.authenticateKey('app1.sub:subsecret'));
    const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const input = `${part({ typ: 'JWT', alg: 'HS256', kid: 'app1.sub' })}.${part({
      iat: Math.floor(now() / 1000),
      exp: Math.floor(now() / 1000) + 60,
      'x-ably-token': inner.token,
    })}`;
    const jwt = `${input}.${createHmac('sha256', 'subsecret').update(input).digest('base64url')}`;
    expect(auth.authenticateToken(jwt)).toMatchObject({ kind: 'token', clientId: 'wrapped', keyName: 'app1.sub' });
  });

  it('refuses a bad signature (40101), alg none (40144), an unknown kid (40143) and an app not hosted (40400)', async () => {
    const { auth, now } = setup();
    const forged = createJwt({ name: 'app1.full', secret: 'guess' }, { ttlMs: 60_000, now: now() });
    expect(await codeOf(() => auth.authenticateToken(forged))).toBe(40101);
    const [, claims] = createJwt(FULL, { ttlMs: 60_000, now: now() }).split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'app1.full' })).toString('base64url')}.${claims}.`;
    expect(await codeOf(() => auth.authenticateToken(none))).toBe(40144);
    const unknown = createJwt({ name: 'app1.nokey', secret: 's' }, { ttlMs: 60_000, now: now() });
    expect(await codeOf(() => auth.authenticateToken(unknown))).toBe(40143);
    // as Ably: a JWT naming an app the server does not host is "not found" (404), not a token error to renew
    const foreignApp = createJwt({ name: 'app9.x', secret: 's' }, { ttlMs: 60_000, now: now() });
    expect(await codeOf(() => auth.authenticateToken(foreignApp))).toBe(40400);
  });
});
