import { describe, expect, it } from 'vitest';
import type * as Ably from 'ably';
import { KEYS, until } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/**
 * Issue 11, items 2 and 3: channel modes (ChannelOptions.modes as ATTACH flags, or the `modes` param) are
 * granted as the request narrowed by the capability; an operation outside the granted modes is refused with
 * 40160, and a channel without presence_subscribe sees no presence. Params are numbers or strings alike, and
 * ATTACHED echoes only the params Rowcast honours.
 */
const { server, realtime, rest } = useRowcast();

describe.each([
  ['msgpack', true],
  ['json', false],
])('channel modes and params (%s)', (format, useBinaryProtocol) => {
  const client = (options: Ably.ClientOptions = {}) => realtime({ key: KEYS.full, useBinaryProtocol, ...options });

  it('without modes a channel gets Ably’s defaults (what the capability allows of them)', async () => {
    const full = client().channels.get(`modes-default-${format}`);
    await full.attach();
    expect(full.modes).toEqual(['presence', 'publish', 'subscribe', 'presence_subscribe', 'annotation_publish']);

    const token = await rest({ key: KEYS.full }).auth.requestToken({ capability: { [`modes-default-${format}`]: ['subscribe'] } });
    const narrow = realtime({ token: token.token, useBinaryProtocol }).channels.get(`modes-default-${format}`);
    await narrow.attach();
    expect(narrow.modes).toEqual(['subscribe', 'presence_subscribe']);
  });

  it('a subscribe-only attachment gets messages, is refused publish and presence (40160) and receives no presence', async () => {
    const name = `modes-subscribe-only-${format}`;
    const other = client({ clientId: 'other' }).channels.get(name);
    await other.presence.enter('already here');
    const reader = client({ clientId: 'reader' }).channels.get(name, { modes: ['subscribe'] });
    const messages: string[] = [];
    const presence: string[] = [];
    await reader.subscribe((m) => void messages.push(String(m.data)));
    await reader.presence.subscribe((p) => void presence.push(`${p.action}:${p.clientId}`));
    expect(reader.modes).toEqual(['subscribe']);

    await expect(reader.publish('n', 'refused')).rejects.toMatchObject({ code: 40160 });
    await expect(reader.presence.enter('refused')).rejects.toMatchObject({ code: 40160 });

    // Presence changes on the channel, then a message: the message arriving means the presence events would have too.
    await other.presence.update('changed');
    await other.presence.leave();
    await other.publish('n', 'after presence');
    await until(() => messages.includes('after presence'), 'the message after the presence changes');
    expect(messages).toEqual(['after presence']);
    expect(presence).toEqual([]);
    expect(await reader.presence.get()).toEqual([]);
    expect(reader.state).toBe('attached');
    // Nothing was published by the refused attempt.
    const history = await rest({ key: KEYS.full }).channels.get(name).history();
    expect(history.items.map((m) => m.data)).toEqual(['after presence']);
  });

  it('the modes param wins over ChannelOptions.modes and is echoed; the grant is what it names', async () => {
    const name = `modes-param-${format}`;
    const ch = client({ clientId: 'p' }).channels.get(name, { params: { modes: 'presence,subscribe' }, modes: ['publish', 'presence_subscribe'] });
    await ch.attach();
    expect(ch.modes).toEqual(['presence', 'subscribe']);
    expect(ch.params).toEqual({ modes: 'presence,subscribe' });
    await ch.presence.enter('in');
    await expect(ch.publish('n', 'x')).rejects.toMatchObject({ code: 40160 });
  });

  it('requested modes are narrowed to the capability', async () => {
    const name = `modes-narrowed-${format}`;
    const token = await rest({ key: KEYS.full }).auth.requestToken({ capability: { [name]: ['subscribe', 'presence'] } });
    const ch = realtime({ token: token.token, useBinaryProtocol }).channels.get(name, { modes: ['publish', 'subscribe'] });
    await ch.attach();
    expect(ch.modes).toEqual(['subscribe']);
    await expect(ch.publish('n', 'x')).rejects.toMatchObject({ code: 40160 });
  });

  it('a renewed token that adds publish lets the attached channel publish; one that removes it refuses again (40160)', async () => {
    const name = `modes-reauth-${format}`;
    const signer = rest({ key: KEYS.full });
    let capability: Record<string, Ably.capabilityOp[]> = { [name]: ['subscribe'] };
    const c = realtime({
      useBinaryProtocol,
      authCallback: (_params, cb) => {
        signer.auth.createTokenRequest({ capability }).then(
          (tr) => cb(null, tr),
          (err) => cb(err, null),
        );
      },
    });
    const ch = c.channels.get(name);
    const got: string[] = [];
    await ch.subscribe((m) => void got.push(String(m.data)));
    await expect(ch.publish('n', 'before')).rejects.toMatchObject({ code: 40160 });
    capability = { [name]: ['subscribe', 'publish'] };
    await c.auth.authorize();
    await ch.publish('n', 'after upgrade');
    await until(() => got.includes('after upgrade'), 'the message published after the upgrade');
    capability = { [name]: ['subscribe'] };
    await c.auth.authorize();
    await expect(ch.publish('n', 'after downgrade')).rejects.toMatchObject({ code: 40160 });
    expect(ch.state).toBe('attached');
  });

  it('a numeric rewind param works like the string, and unsupported params are not echoed', async () => {
    const name = `params-numeric-${format}`;
    const publisher = client().channels.get(name);
    for (const n of ['one', 'two', 'three']) await publisher.publish('n', n);
    const ch = client().channels.get(name, { params: { rewind: 1, delta: 'vcdiff', nonexistent: 'foo' } as unknown as Record<string, string> });
    const received: string[] = [];
    const attached = new Promise<Ably.ChannelStateChange>((ok) => ch.once('attached', ok));
    await ch.subscribe((m) => void received.push(String(m.data)));
    expect((await attached).hasBacklog).toBe(true);
    await until(() => received.length === 1, 'the rewound message');
    expect(received).toEqual(['three']);
    expect(ch.params).toEqual({ rewind: '1' });
  });

  it('an invalid mode name in the modes param fails the channel with 40003, not the connection', async () => {
    const c = client();
    const ch = c.channels.get(`modes-invalid-${format}`, { params: { modes: 'subscribe,susbcribe' } });
    await expect(ch.attach()).rejects.toMatchObject({ code: 40003 });
    expect(c.connection.state).toBe('connected');
  });
});

it('a re-attach flagged ATTACH_RESUME gets no rewind backlog (rewind applies to the first attach only)', async () => {
  const name = 'rewind-attach-resume';
  await rest({ key: KEYS.full }).channels.get(name).publish('n', 'old');
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(`ws://127.0.0.1:${server().port}/?key=${encodeURIComponent(KEYS.full)}&format=json&v=6`);
  const frames: Array<Record<string, any>> = [];
  ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString())));
  await until(() => frames.find((f) => f.action === 4), 'CONNECTED');
  ws.send(JSON.stringify({ action: 10, channel: name, flags: 1 << 5, params: { rewind: '1' } }));
  const attached = await until(() => frames.find((f) => f.action === 11), 'ATTACHED');
  expect(attached.flags & 2).toBe(0); // no HAS_BACKLOG
  ws.send(JSON.stringify({ action: 0, id: 'after-attach' }));
  await until(() => frames.find((f) => f.action === 0 && f.id === 'after-attach'), 'the HEARTBEAT answer');
  expect(frames.filter((f) => f.action === 15)).toEqual([]);
  ws.close();
});
