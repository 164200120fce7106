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
async function startAuthEndpoint(params: Ably.TokenParams): Promise<{ url: string; calls: () => number; close: () => Promise<void> }> {
  const signer = rest({ key: FULL_KEY });
  let calls = 0;
  const http: Server = createServer(async (_req, res) => {
    calls++;
    const tokenRequest = await signer.auth.createTokenRequest(params);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(tokenRequest));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/auth/token`,
    calls: () => calls,
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

  it('a 5-second token is renewed at each expiry (40142, renew, resume) with no message lost and the same connection', async () => {
    const auth = await startAuthEndpoint({ clientId: 'shorty', ttl: 5000 });
    try {
      const subscriber = realtime({ authUrl: auth.url, useBinaryProtocol });
      const publisher = realtime({ key: FULL_KEY, useBinaryProtocol });
      await subscriber.connection.whenState('connected');
      const connectionId = subscriber.connection.id;
      const channel = subscriber.channels.get('renewal');
      const got: string[] = [];
      await channel.subscribe((m) => got.push(m.data as string));
      const sent: string[] = [];
      const pub = publisher.channels.get('renewal');
      // Publish through more than one token lifetime: at least one expiry happens mid-stream.
      const until = Date.now() + 7500;
      for (let i = 0; Date.now() < until; i++) {
        await pub.publish('tick', String(i));
        sent.push(String(i));
        await new Promise((r) => setTimeout(r, 25));
      }
      await expect.poll(() => got.length, { timeout: 15_000 }).toBe(sent.length);
      expect(got).toEqual(sent);
      expect(auth.calls()).toBeGreaterThanOrEqual(2);
      expect(subscriber.connection.id).toBe(connectionId);
      expect(subscriber.connection.state).toBe('connected');
      subscriber.close();
    } finally {
      await auth.close();
    }
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
