import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as Ably from 'ably';
import { startRowcast } from '../support/rowcast.ts';

/**
 * Token auth end to end with the unmodified SDK: an app's authUrl returning TokenRequests signed by
 * `Ably.Rest#createTokenRequest`, in-band renewal of short tokens, and Ably-style JWTs.
 */
const FULL_KEY = 'app1.full:fullsecret';
let server: Awaited<ReturnType<typeof startRowcast>>;
const opened: Array<Ably.Realtime> = [];

beforeAll(async () => {
  server = await startRowcast();
});
afterAll(async () => {
  for (const c of opened) c.close();
  await server?.close();
});

function realtime(options: Ably.ClientOptions): Ably.Realtime {
  const client = new Ably.Realtime({ endpoint: '127.0.0.1', port: server.port, tls: false, logLevel: 0, ...options });
  opened.push(client);
  return client;
}

function rest(options: Ably.ClientOptions): Ably.Rest {
  return new Ably.Rest({ endpoint: '127.0.0.1', port: server.port, tls: false, logLevel: 0, ...options });
}

/** An app's auth endpoint, as the chat has one: signs TokenRequests for a fixed clientId with the server key. */
async function startAuthEndpoint(
  params: Ably.TokenParams,
): Promise<{ url: string; calls: () => number; callTimes: number[]; close: () => Promise<void> }> {
  const signer = rest({ key: FULL_KEY });
  let calls = 0;
  const callTimes: number[] = [];
  const http: Server = createServer(async (_req, res) => {
    calls++;
    callTimes.push(Date.now());
    const tokenRequest = await signer.auth.createTokenRequest(params);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(tokenRequest));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/auth/token`,
    calls: () => calls,
    callTimes,
    close: () => new Promise((resolve) => http.close(() => resolve())),
  };
}

/** An Ably-style JWT built here from the documented format (not with Rowcast's own helper). */
function jwt(keyName: string, secret: string, claims: Record<string, unknown>): string {
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${part({ typ: 'JWT', alg: 'HS256', kid: keyName })}.${part(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

describe.each([
  ['msgpack', true],
  ['json', false],
])('token auth over %s', (_name, useBinaryProtocol) => {
  it('authUrl flow: the client connects with the token clientId and publishes as it', async () => {
    const auth = await startAuthEndpoint({ clientId: 'erin', capability: { 'room*': ['publish', 'subscribe'] } });
    try {
      const erin = realtime({ authUrl: auth.url, useBinaryProtocol });
      const watcher = realtime({ key: FULL_KEY, useBinaryProtocol });
      await erin.connection.whenState('connected');
      expect(erin.auth.clientId).toBe('erin');
      expect(auth.calls()).toBe(1);
      const channel = watcher.channels.get('room-authurl');
      const received = new Promise<Ably.Message>((resolve) => channel.subscribe((m) => resolve(m)));
      await channel.attach();
      await erin.channels.get('room-authurl').publish('hello', 'from erin');
      const msg = await received;
      expect(msg.clientId).toBe('erin');
      expect(msg.data).toBe('from erin');
      // The token's capability binds: erin cannot publish outside room*.
      await expect(erin.channels.get('lobby').publish('x', 'y')).rejects.toMatchObject({ code: 40160 });
      erin.close();
    } finally {
      await auth.close();
    }
  });

  it('a 5-second token is renewed in-band before each expiry: never disconnected, same connection, no message lost', async () => {
    const auth = await startAuthEndpoint({ clientId: 'shorty', ttl: 5000 });
    try {
      const subscriber = realtime({ authUrl: auth.url, useBinaryProtocol });
      await subscriber.connection.whenState('connected');
      const publisher = realtime({ key: FULL_KEY, useBinaryProtocol });
      const connectionId = subscriber.connection.id;
      const leftConnected: string[] = [];
      subscriber.connection.on(['connecting', 'disconnected', 'suspended', 'failed', 'closing', 'closed'], (change) =>
        leftConnected.push(`${change.current} ${change.reason?.code ?? ''}`),
      );
      let inBandUpdates = 0;
      subscriber.connection.on('update', () => inBandUpdates++);
      const channel = subscriber.channels.get('renewal');
      const got: string[] = [];
      await channel.subscribe((m) => got.push(m.data as string));
      const sent: string[] = [];
      const pub = publisher.channels.get('renewal');
      // Publish until two of the subscriber's tokens have expired (each issued just after its fetch, living 5 s):
      // about 9 s, two in-band renewals mid-stream.
      const twoExpired = () => auth.callTimes.length >= 2 && Date.now() > auth.callTimes[1] + 5000 + 500;
      for (let i = 0; !twoExpired(); i++) {
        await pub.publish('tick', String(i));
        sent.push(String(i));
        await new Promise((r) => setTimeout(r, 25));
        if (i > 2000) throw new Error(`tokens were not renewed: ${auth.calls()} fetched, states ${leftConnected.join(', ')}`);
      }
      await expect.poll(() => got.length, { timeout: 15_000 }).toBe(sent.length);
      expect(got).toEqual(sent);
      expect(leftConnected).toEqual([]);
      expect(subscriber.connection.id).toBe(connectionId);
      expect(subscriber.connection.state).toBe('connected');
      expect(auth.calls()).toBeGreaterThanOrEqual(3);
      expect(inBandUpdates).toBeGreaterThanOrEqual(2);
      subscriber.close();
    } finally {
      await auth.close();
    }
  });

  it.each([
    ['fails', 0],
    ['answers only after the token expired', 2500],
  ])('a client whose in-band renewal %s still gets DISCONNECTED 40142 at expiry, renews and resumes with nothing lost', async (_how, slowMs) => {
    const signer = rest({ key: FULL_KEY });
    let calls = 0;
    const subscriber = realtime({
      useBinaryProtocol,
      authCallback: (_params, cb) => {
        calls++;
        const answer = () =>
          signer.auth.createTokenRequest({ clientId: 'late', ttl: 3000 }).then(
            (tr) => cb(null, tr),
            (err) => cb(err, null),
          );
        // The renewal the server asks for before expiry (call 2) fails or comes too late; the ones after expiry are prompt.
        if (calls === 2 && slowMs === 0) return cb('auth server briefly unavailable', null);
        if (calls === 2) return void setTimeout(answer, slowMs);
        void answer();
      },
    });
    await subscriber.connection.whenState('connected');
    const publisher = realtime({ key: FULL_KEY, useBinaryProtocol });
    const connectionId = subscriber.connection.id;
    const disconnects: Array<number | undefined> = [];
    subscriber.connection.on('disconnected', (change) => disconnects.push(change.reason?.code));
    const channel = subscriber.channels.get('renewal-fallback');
    const got: string[] = [];
    await channel.subscribe((m) => got.push(m.data as string));
    const sent: string[] = [];
    const pub = publisher.channels.get('renewal-fallback');
    // Publish through the expiry of the first token and the recovery after it.
    for (let i = 0; disconnects.length === 0 || subscriber.connection.state !== 'connected' || i < 20; i++) {
      await pub.publish('tick', String(i));
      sent.push(String(i));
      await new Promise((r) => setTimeout(r, 25));
      if (i > 1000) throw new Error(`no 40142 fallback seen: state ${subscriber.connection.state}, disconnects ${disconnects.join(',')}`);
    }
    await expect.poll(() => got.length, { timeout: 15_000 }).toBe(sent.length);
    expect(got).toEqual(sent);
    expect(disconnects).toEqual([40142]);
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(subscriber.connection.id).toBe(connectionId);
    subscriber.close();
  });

  it('a renewed token with a narrower capability fails the channels it no longer allows (40160) and its member there leaves; the others keep working', async () => {
    const signer = rest({ key: FULL_KEY });
    let capability: Record<string, Ably.capabilityOp[]> = { 'narrow-keep': ['subscribe'], 'narrow-drop': ['subscribe', 'presence'] };
    const client = realtime({
      useBinaryProtocol,
      authCallback: (_params, cb) => {
        signer.auth.createTokenRequest({ clientId: 'narrowed', capability }).then(
          (tr) => cb(null, tr),
          (err) => cb(err, null),
        );
      },
    });
    await client.connection.whenState('connected');
    const keep = client.channels.get('narrow-keep');
    const drop = client.channels.get('narrow-drop');
    const kept: string[] = [];
    const dropped: string[] = [];
    await keep.subscribe((m) => kept.push(m.data as string));
    await drop.subscribe((m) => dropped.push(m.data as string));
    await drop.presence.enter('here');
    const observer = realtime({ key: FULL_KEY, useBinaryProtocol }).channels.get('narrow-drop');
    const presenceSeen: string[] = [];
    await observer.presence.subscribe('leave', (p) => presenceSeen.push(`${p.action} ${p.clientId}`));
    expect((await observer.presence.get()).map((p) => p.clientId)).toEqual(['narrowed']);
    const publisher = rest({ key: FULL_KEY, useBinaryProtocol });
    await publisher.channels.get('narrow-drop').publish('before', 'seen');
    await expect.poll(() => dropped).toEqual(['seen']);

    capability = { 'narrow-keep': ['subscribe'] };
    const failed = new Promise<Ably.ChannelStateChange>((resolve) => drop.once('failed', resolve));
    await client.auth.authorize();
    expect((await failed).reason?.code).toBe(40160);
    expect(client.connection.state).toBe('connected');

    await publisher.channels.get('narrow-drop').publish('after', 'not seen');
    await publisher.channels.get('narrow-keep').publish('after', 'still seen');
    await expect.poll(() => kept).toEqual(['still seen']);
    expect(dropped).toEqual(['seen']);
    expect(keep.state).toBe('attached');
    await expect.poll(() => presenceSeen).toEqual(['leave narrowed']);
    expect(await observer.presence.get()).toEqual([]);
    client.close();
  });

  it('authorize() while connected renews in-band with the AUTH action: same connection, never disconnected', async () => {
    const auth = await startAuthEndpoint({ clientId: 'renewer', ttl: 60_000 });
    try {
      const client = realtime({ authUrl: auth.url, useBinaryProtocol });
      await client.connection.whenState('connected');
      const connectionId = client.connection.id;
      const leftConnected: string[] = [];
      client.connection.on(['connecting', 'disconnected', 'suspended', 'failed', 'closing', 'closed'], (change) =>
        leftConnected.push(change.current),
      );
      const updated = new Promise<void>((resolve) => client.connection.once('update', () => resolve()));
      const details = await client.auth.authorize();
      await updated;
      expect(details.clientId).toBe('renewer');
      expect(auth.calls()).toBe(2);
      expect(client.connection.id).toBe(connectionId);
      expect(leftConnected).toEqual([]);
      // The renewed connection still works.
      const channel = client.channels.get('room-renewed');
      const received = new Promise<Ably.Message>((resolve) => channel.subscribe((m) => resolve(m)));
      await channel.attach();
      await channel.publish('after', 'renewal');
      expect((await received).clientId).toBe('renewer');
      client.close();
    } finally {
      await auth.close();
    }
  });

  it('a JWT connects over realtime and works over REST', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = jwt('app1.full', 'fullsecret', {
      iat: now,
      exp: now + 600,
      'x-ably-capability': JSON.stringify({ 'jwt*': ['*'] }),
      'x-ably-clientId': 'jay',
    });
    const client = realtime({ authCallback: (_params, cb) => cb(null, token), useBinaryProtocol });
    await client.connection.whenState('connected');
    expect(client.auth.clientId).toBe('jay');
    const channel = client.channels.get('jwt-room');
    const received = new Promise<Ably.Message>((resolve) => channel.subscribe((m) => resolve(m)));
    await channel.attach();

    const restClient = rest({ token, useBinaryProtocol });
    await restClient.channels.get('jwt-room').publish('via-rest', { n: 1 });
    const msg = await received;
    expect(msg.clientId).toBe('jay');
    expect(msg.data).toEqual({ n: 1 });
    await expect(restClient.channels.get('elsewhere').publish('x', 'y')).rejects.toMatchObject({ code: 40160 });
  });

  it('Ably.Rest with an authUrl obtains a token and uses it for REST calls', async () => {
    const auth = await startAuthEndpoint({ clientId: 'resty' });
    try {
      const client = rest({ authUrl: auth.url, useBinaryProtocol });
      const channel = client.channels.get(`rest-token-${useBinaryProtocol}`);
      await channel.publish('one', 'first');
      const page = await channel.history();
      expect(page.items.map((m) => [m.name, m.data, m.clientId])).toEqual([['one', 'first', 'resty']]);
    } finally {
      await auth.close();
    }
  });
});
