import { describe, expect, it } from 'vitest';
import { dropTransport } from '@rowcast/core/testing';
import type * as Ably from 'ably';
import { decode, encode } from '@msgpack/msgpack';
import { KEYS, until } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/**
 * Issue 11 item 9: the Comet fallback transport, with the real SDK in Node. Node's SDK calls it `comet` (a
 * browser's is `xhr_polling`, see comet-browser.test.ts); it streams recvs unless `stream=false`, which is what
 * xhr_polling asks for, so every SDK test runs in both modes.
 */
// Long enough for a client to reconnect before its members would leave (the cross-transport test).
const LEAVE_DELAY_MS = 4000;
// A short idle interval so that a client that stops polling is found out quickly (idle timeout = this).
const IDLE_MS = 4000;
const { server, realtime, rest } = useRowcast({ realtime: { presenceLeaveDelayMs: LEAVE_DELAY_MS, maxIdleIntervalMs: IDLE_MS } });

type Transport = 'comet' | 'web_socket';

/** The transport the SDK is connected with (the SDK exposes it only internally). */
function transportOf(client: Ably.Realtime): string {
  return (client.connection as unknown as { connectionManager: { activeProtocol: { transport: { shortName: string } } } }).connectionManager
    .activeProtocol.transport.shortName;
}

describe.each([
  ['streamed recv', {}],
  ['long-polled recv (as xhr_polling)', { transportParams: { stream: false } }],
])('the SDK over Comet, %s', (mode, cometOptions) => {
  const tag = mode.startsWith('streamed') ? 'stream' : 'poll';

  async function connect(options: Ably.ClientOptions, transport: Transport = 'comet'): Promise<Ably.Realtime> {
    const client = realtime({ ...(transport === 'comet' ? cometOptions : {}), transports: [transport], ...options });
    await client.connection.once('connected');
    expect(transportOf(client)).toBe(transport);
    return client;
  }

  it('publishes and subscribes, with presence and history', async () => {
    const channel = `comet-basics-${tag}`;
    const alice = await connect({ key: KEYS.full, clientId: 'alice' });
    const bob = await connect({ key: KEYS.full, clientId: 'bob' });
    const received: string[] = [];
    await bob.channels.get(channel).subscribe((m) => void received.push(`${m.name}:${JSON.stringify(m.data)}:${m.clientId}`));
    const presenceSeen: string[] = [];
    await bob.channels.get(channel).presence.subscribe((p) => void presenceSeen.push(`${p.action}:${p.clientId}`));

    await alice.channels.get(channel).publish('greeting', 'hello from comet');
    await alice.channels.get(channel).publish([
      { name: 'n', data: 'one' },
      { name: 'n', data: { two: 2 } },
    ]);
    await alice.channels.get(channel).presence.enter('here');
    await until(() => received.length === 3 && presenceSeen.length === 1, 'messages and presence over comet');
    expect(received).toEqual(['greeting:"hello from comet":alice', 'n:"one":alice', 'n:{"two":2}:alice']);
    expect(presenceSeen).toEqual(['enter:alice']);
    const members = await bob.channels.get(channel).presence.get();
    expect(members.map((m) => `${m.clientId}:${m.data}`)).toEqual(['alice:here']);

    const history = await bob.channels.get(channel).history({ direction: 'forwards' });
    expect(history.items.map((m) => m.data)).toEqual(['hello from comet', 'one', { two: 2 }]);
    await alice.channels.get(channel).presence.leave();
    await until(() => presenceSeen.length === 2, 'the leave');
    expect(presenceSeen[1]).toBe('leave:alice');
  });

  it('resumes after its poll is dropped: same connection, and what was published meanwhile arrives', async () => {
    const channel = `comet-resume-${tag}`;
    const publisher = await connect({ key: KEYS.full }, 'web_socket');
    const subscriber = await connect({ key: KEYS.full });
    const received: string[] = [];
    const ch = subscriber.channels.get(channel);
    await ch.subscribe((m) => void received.push(m.data as string));
    const resumed: boolean[] = [];
    ch.on('attached', (change) => void resumed.push(change.resumed));
    const id = subscriber.connection.id!;

    await publisher.channels.get(channel).publish('n', '0');
    await until(() => received.length === 1, 'the first message');
    const reconnected = new Promise<Ably.ConnectionStateChange>((ok) => subscriber.connection.once('connected', ok));
    expect(dropTransport(server().node, id)).toBe(true);
    for (let n = 1; n <= 20; n++) await publisher.channels.get(channel).publish('n', String(n));
    const change = await reconnected;
    await until(() => received.length === 21, `21 messages (got ${received.length})`);
    expect(received).toEqual(Array.from({ length: 21 }, (_, i) => String(i)));
    expect(change.reason?.code).not.toBe(80008);
    expect(subscriber.connection.id).toBe(id);
    expect(resumed).toContain(true);
    expect(transportOf(subscriber)).toBe('comet');
  });

  it('keeps its connection across token renewals (AUTH travels by send, the new token by recv)', async () => {
    const channel = `comet-token-${tag}`;
    const issuer = rest({ key: KEYS.full });
    let tokensIssued = 0;
    const client = await connect({
      authCallback: (_params, callback) => {
        tokensIssued++;
        issuer.auth.createTokenRequest({ clientId: 'renewer', ttl: 3000 }).then(
          (tr) => callback(null, tr),
          (err) => callback(err, null),
        );
      },
    });
    const id = client.connection.id;
    const received: string[] = [];
    await client.channels.get(channel).subscribe((m) => void received.push(m.data as string));
    // Two expiries later the connection is the same one and still carries messages both ways.
    await until(() => tokensIssued >= 3 && client.connection.state === 'connected', 'two token renewals', 30_000);
    await client.channels.get(channel).publish('after', 'renewed');
    await until(() => received.length === 1, 'a message after the renewals');
    expect(client.connection.id).toBe(id);
    expect(client.auth.clientId).toBe('renewer');
  });

  it.each([
    ['comet', 'web_socket'],
    ['web_socket', 'comet'],
  ] as const)('a connection started on %s continues on %s with its messages', async (from, to) => {
    const channel = `comet-cross-${tag}-${from}`;
    const publisher = await connect({ key: KEYS.full }, 'web_socket');
    const first = await connect({ key: KEYS.full, clientId: 'mover' }, from);
    await first.channels.get(channel).subscribe(() => undefined);
    await first.channels.get(channel).presence.enter('before');
    const id = first.connection.id;
    const recoveryKey = first.connection.createRecoveryKey()!;
    // The first transport goes away without a goodbye, as when a network changes.
    dropTransport(server().node, id!);
    first.close();
    await publisher.channels.get(channel).publish('missed', 'while moving');

    const received: string[] = [];
    const second = realtime({ key: KEYS.full, clientId: 'mover', recover: recoveryKey, transports: [to], ...(to === 'comet' ? cometOptions : {}) });
    const connected = await second.connection.once('connected');
    expect(connected.reason).toBeFalsy();
    expect(transportOf(second)).toBe(to);
    expect(second.connection.id).toBe(id);
    await second.channels.get(channel).subscribe((m) => void received.push(m.data as string));
    await until(() => received.length === 1, 'the message published while moving');
    expect(received).toEqual(['while moving']);
    // Its presence member stayed (no leave) and is still its own.
    const members = await publisher.channels.get(channel).presence.get();
    expect(members.map((m) => `${m.clientId}:${m.connectionId}`)).toEqual([`mover:${id}`]);
    await publisher.channels.get(channel).publish('after', 'on the new transport');
    await until(() => received.length === 2, 'a message after the move');
  });
});

/** A Comet client written by hand, for what the SDK does not show: idle clients, unknown keys, msgpack. */
function cometUrl(path: string, query: Record<string, string> = {}): string {
  const q = new URLSearchParams({ v: '6', ...query });
  return `${server().url}/comet/${path}?${q}`;
}

async function rawConnect(query: Record<string, string>): Promise<{ connectionId: string; connectionKey: string }> {
  const res = await fetch(cometUrl('connect', { key: KEYS.full, stream: 'false', heartbeats: 'true', ...query }));
  expect(res.status).toBe(200);
  const [connected] = (await res.json()) as Array<{ action: number; connectionId: string; connectionDetails: { connectionKey: string } }>;
  expect(connected.action).toBe(4);
  return { connectionId: connected.connectionId, connectionKey: connected.connectionDetails.connectionKey };
}

describe('Comet transports by hand', () => {
  it('a client that stops polling is dropped like a closed socket: its member leaves, and it can still resume', async () => {
    const channel = 'comet-idle';
    const watcher = realtime({ key: KEYS.full });
    const events: string[] = [];
    await watcher.channels.get(channel).presence.subscribe((p) => void events.push(`${p.action}:${p.clientId}`));

    const { connectionId, connectionKey } = await rawConnect({ clientId: 'idler' });
    const send = await fetch(cometUrl(`${encodeURIComponent(connectionKey)}/send`, { key: KEYS.full }), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { action: 10, channel },
        { action: 14, channel, msgSerial: 0, presence: [{ action: 2, data: 'hi' }] },
      ]),
    });
    expect(send.status).toBeLessThan(300);
    await until(() => events.includes('enter:idler'), 'the raw client entering');
    // No recv from now on: after the idle timeout the transport is dropped, after the leave delay the member goes.
    await until(() => events.includes('leave:idler'), 'the idle client leaving', 30_000);
    expect(events).toEqual(['enter:idler', 'leave:idler']);

    const lateRecv = await fetch(cometUrl(`${encodeURIComponent(connectionKey)}/recv`, { key: KEYS.full }));
    expect(lateRecv.status).toBe(410);
    expect(lateRecv.headers.get('x-ably-errorcode')).toBe('80022');
    expect(((await lateRecv.json()) as { error: { code: number } }).error.code).toBe(80022);

    // Its state is kept as for a dropped socket: a resume within connectionStateTtl continues it.
    const resumed = await rawConnect({ clientId: 'idler', resume: connectionKey });
    expect(resumed.connectionId).toBe(connectionId);
  });

  it('a DISCONNECTED sent between two polls is delivered by the next one, then the transport is gone', async () => {
    const token = await rest({ key: KEYS.full }).auth.requestToken({ ttl: 1000 });
    const res = await fetch(cometUrl('connect', { access_token: token.token, stream: 'false', heartbeats: 'true' }));
    const [connected] = (await res.json()) as Array<{ connectionDetails: { connectionKey: string } }>;
    const key = encodeURIComponent(connected.connectionDetails.connectionKey);
    // No recv while the token expires (well within the idle timeout): the server's DISCONNECTED (40142) has to
    // wait for the next one.
    await new Promise((r) => setTimeout(r, token.expires - Date.now() + 300));
    const frames: Array<{ action: number; error?: { code: number } }> = [];
    while (!frames.some((f) => f.action === 6)) {
      const recv = await fetch(cometUrl(`${key}/recv`, { access_token: token.token }));
      expect(recv.status).not.toBe(410);
      if (recv.status === 200) frames.push(...((await recv.json()) as typeof frames));
    }
    expect(frames.find((f) => f.action === 6)?.error?.code).toBe(40142);
    const after = await fetch(cometUrl(`${key}/recv`, { access_token: token.token }));
    expect(after.status).toBe(410);
  });

  it('unknown connection keys get 80022 (the SDK reconnects), and unknown paths 40400', async () => {
    for (const op of ['recv', 'send', 'close']) {
      const res = await fetch(cometUrl(`nobody!nokey/${op}`, { key: KEYS.full }), op === 'send' ? { method: 'POST', body: '[]' } : {});
      expect(res.status).toBe(410);
      expect(((await res.json()) as { error: { code: number } }).error.code).toBe(80022);
    }
    const res = await fetch(cometUrl('connect/extra'));
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(40400);
  });

  it('refuses bad credentials with an ERROR protocol message, which the SDK reports as the connection failing', async () => {
    const res = await fetch(cometUrl('connect', { key: 'app1.full:wrongsecret', stream: 'false' }));
    const body = (await res.json()) as Array<{ action: number; error: { code: number } }>;
    expect(body).toEqual([expect.objectContaining({ action: 9, error: expect.objectContaining({ code: 40101 }) })]);

    const client = realtime({ key: 'app1.full:wrongsecret', transports: ['comet'] });
    const failed = await client.connection.once('failed');
    expect(failed.reason?.code).toBe(40101);
  });

  it('speaks msgpack when the connection asks for it', async () => {
    const res = await fetch(cometUrl('connect', { key: KEYS.full, format: 'msgpack', stream: 'false' }));
    expect(res.headers.get('content-type')).toBe('application/x-msgpack');
    const [connected] = decode(new Uint8Array(await res.arrayBuffer())) as Array<{ action: number; connectionDetails: { connectionKey: string } }>;
    expect(connected.action).toBe(4);
    const key = encodeURIComponent(connected.connectionDetails.connectionKey);
    const channel = 'comet-msgpack';
    const payload = new Uint8Array([1, 2, 3, 250]);
    const send = await fetch(cometUrl(`${key}/send`, { key: KEYS.full }), {
      method: 'POST',
      headers: { 'content-type': 'application/x-msgpack' },
      body: encode([
        { action: 10, channel },
        { action: 15, channel, msgSerial: 0, messages: [{ name: 'bin', data: payload }] },
      ]),
    });
    expect(send.status).toBeLessThan(300);
    const actions: number[] = [];
    while (!actions.includes(1)) {
      const recv = await fetch(cometUrl(`${key}/recv`, { key: KEYS.full }));
      if (recv.status === 204) continue;
      for (const pm of decode(new Uint8Array(await recv.arrayBuffer())) as Array<{ action: number }>) actions.push(pm.action);
    }
    expect(actions).toContain(11); // ATTACHED
    const history = await rest({ key: KEYS.full, useBinaryProtocol: true }).channels.get(channel).history();
    expect(new Uint8Array(history.items[0].data as ArrayBuffer)).toEqual(payload);
  });

  it('answers CORS preflights for send and close from another origin', async () => {
    const res = await fetch(cometUrl('somekey/send'), {
      method: 'OPTIONS',
      headers: { origin: 'http://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toContain('content-type');
  });
});
