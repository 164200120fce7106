import { describe, expect, it } from 'vitest';
import * as Ably from 'ably';
import { WebSocket } from 'ws';
import { KEYS, spawnAblyClient, until } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/** Issue 3, presence: enter/update/leave among several clients, multi-page SYNC, leave after an abrupt drop. */
const LEAVE_DELAY_MS = 1500;
const { server, realtime, rest } = useRowcast({ realtime: { presenceLeaveDelayMs: LEAVE_DELAY_MS, presenceSyncPageSize: 100 } });

describe.each([
  ['msgpack', true],
  ['json', false],
])('presence (%s)', (format, useBinaryProtocol) => {
  async function connect(options: Ably.ClientOptions): Promise<Ably.Realtime> {
    const client = realtime({ useBinaryProtocol, ...options });
    await client.connection.once('connected');
    return client;
  }

  it('enter, update and leave of three clients are seen by all; get() returns the members', async () => {
    const channel = `presence-three-${format}`;
    const clients = await Promise.all(['ann', 'ben', 'cat'].map((clientId) => connect({ key: KEYS.full, clientId })));
    const seen = clients.map(() => [] as string[]);
    await Promise.all(
      clients.map((c, i) => c.channels.get(channel).presence.subscribe((p) => void seen[i].push(`${p.action}:${p.clientId}:${p.data ?? ''}`))),
    );
    await clients[0].channels.get(channel).presence.enter('a1');
    await clients[1].channels.get(channel).presence.enter('b1');
    await clients[2].channels.get(channel).presence.enter('c1');
    await clients[1].channels.get(channel).presence.update('b2');
    await clients[2].channels.get(channel).presence.leave();
    const expected = ['enter:ann:a1', 'enter:ben:b1', 'enter:cat:c1', 'update:ben:b2', 'leave:cat:c1'];
    for (let i = 0; i < 3; i++) await until(() => seen[i].length === expected.length && seen[i], `client ${i} events`);
    for (const s of seen) expect(s).toEqual(expected);
    const members = await clients[0].channels.get(channel).presence.get();
    expect(members.map((m) => `${m.clientId}:${m.data}`).sort()).toEqual(['ann:a1', 'ben:b2']);
    // Ids are connectionId:msgSerial:index, as the SDK compares them.
    for (const m of members) expect(m.id).toMatch(new RegExp(`^${m.connectionId}:\\d+:\\d+$`));
  });

  it('a late joiner gets 250 members through a multi-page SYNC', async () => {
    const channel = `presence-many-${format}`;
    const host = await connect({ key: KEYS.full });
    const presence = host.channels.get(channel).presence;
    await Promise.all(Array.from({ length: 250 }, (_, i) => presence.enterClient(`member-${i}`, { i })));

    // What goes over the wire: several SYNC frames, each with a cursor, the last with an empty one.
    const frames = await rawAttach(channel);
    const syncs = frames.filter((f) => f.action === 16);
    expect(frames[0].action).toBe(11);
    expect((frames[0].flags as number) & 1).toBe(1); // HAS_PRESENCE
    expect(syncs.length).toBe(3);
    expect(syncs.slice(0, -1).every((f) => /^[\w-]+:.+$/.test(f.channelSerial as string))).toBe(true);
    expect(syncs[syncs.length - 1].channelSerial).toMatch(/^[\w-]+:$/);

    const late = await connect({ key: KEYS.full });
    const members = await late.channels.get(channel).presence.get();
    expect(members).toHaveLength(250);
    expect(new Set(members.map((m) => m.clientId)).size).toBe(250);
    expect(members.find((m) => m.clientId === 'member-249')?.data).toEqual({ i: 249 });
  });

  it('a client killed abruptly leaves after the configured delay, not at once', async () => {
    const channel = `presence-killed-${format}`;
    const watcher = await connect({ key: KEYS.full, clientId: 'watcher' });
    const events: Array<{ action: string; clientId: string; at: number }> = [];
    await watcher.channels.get(channel).presence.subscribe((p) => void events.push({ action: p.action!, clientId: p.clientId!, at: Date.now() }));
    const doomed = spawnAblyClient(server(), { key: KEYS.full, clientId: 'doomed', channel, enter: 'here', useBinaryProtocol });
    await doomed.waitFor((l) => l.attached === true, 'the child to enter');
    await until(() => events.some((e) => e.action === 'enter' && e.clientId === 'doomed'), 'the enter');
    // taken before the kill: the server may see the socket drop before kill() resolves (it waits for the exit)
    const killedAt = Date.now();
    await doomed.kill();
    // Right after the kill the member is still there: the delay gives it a chance to come back.
    expect((await watcher.channels.get(channel).presence.get()).map((m) => m.clientId)).toContain('doomed');
    const leave = await until(() => events.find((e) => e.action === 'leave' && e.clientId === 'doomed'), 'the leave', 20_000);
    expect(leave.at - killedAt).toBeGreaterThanOrEqual(LEAVE_DELAY_MS - 20); // timers may round by a few ms
    expect((await watcher.channels.get(channel).presence.get()).map((m) => m.clientId)).not.toContain('doomed');
  });

  it('a client that closes its connection leaves at once and its state is discarded', async () => {
    const channel = `presence-close-${format}`;
    const watcher = await connect({ key: KEYS.full, clientId: 'watcher' });
    const events: string[] = [];
    await watcher.channels.get(channel).presence.subscribe((p) => void events.push(`${p.action}:${p.clientId}`));
    const leaving = await connect({ key: KEYS.full, clientId: 'leaving' });
    await leaving.channels.get(channel).presence.enter();
    await until(() => events.includes('enter:leaving'), 'the enter');
    const before = server().node.connectionCount;
    leaving.close();
    // CLOSE means gone: nothing is kept for a resume (a dropped transport would stay counted for
    // connectionStateTtl), and the member leaves without waiting for the leave delay.
    await until(() => server().node.connectionCount === before - 1, 'the connection state to be discarded');
    await until(() => events.includes('leave:leaving'), 'the leave');
  });

  it('a connection that resumes inside the delay does not flap (no leave, no re-enter seen)', async () => {
    const channel = `presence-resume-${format}`;
    const watcher = await connect({ key: KEYS.full, clientId: 'watcher' });
    const events: string[] = [];
    await watcher.channels.get(channel).presence.subscribe((p) => void events.push(`${p.action}:${p.clientId}`));
    const member = await connect({ key: KEYS.full, clientId: 'flaky' });
    await member.channels.get(channel).presence.enter('v1');
    await until(() => events.includes('enter:flaky'), 'the enter');
    const id = member.connection.id!;
    expect(server().node.dropTransport(id)).toBe(true);
    await member.connection.once('connected');
    expect(member.connection.id).toBe(id);
    // A marker after the resume: once the watcher sees it, anything the resume caused would have arrived too.
    await member.channels.get(channel).presence.update('v2');
    await until(() => events.includes('update:flaky'), 'the update after resume');
    expect(events).toEqual(['enter:flaky', 'update:flaky']);
  });

  it('a client with echoMessages:false still sees its own presence events', async () => {
    const channel = `presence-echo-${format}`;
    const quiet = await connect({ key: KEYS.full, clientId: 'quiet', echoMessages: false });
    const seen: string[] = [];
    const ch = quiet.channels.get(channel);
    await ch.presence.subscribe((p) => void seen.push(`${p.action}:${p.clientId}`));
    await ch.presence.enter('here');
    await until(() => seen.includes('enter:quiet'), 'its own enter');
    expect((await ch.presence.get()).map((m) => m.clientId)).toEqual(['quiet']);
  });

  it('capabilities: `presence` is needed to enter, `subscribe` to see others', async () => {
    const channel = `presence-caps-${format}`;
    const tokenClient = rest({ key: KEYS.full, useBinaryProtocol });
    const tokenFor = async (clientId: string, ops: Ably.capabilityOp[]) =>
      (await tokenClient.auth.requestToken({ clientId, capability: { [channel]: ops } })).token;

    const watcher = await connect({ key: KEYS.full, clientId: 'watcher' });
    const watched: string[] = [];
    await watcher.channels.get(channel).presence.subscribe((p) => void watched.push(`${p.action}:${p.clientId}`));
    await watcher.channels.get(channel).presence.enter();

    const reader = await connect({ token: await tokenFor('reader', ['subscribe']), clientId: 'reader' });
    const refused = await reader.channels
      .get(channel)
      .presence.enter()
      .catch((e: Ably.ErrorInfo) => e);
    expect((refused as Ably.ErrorInfo).code).toBe(40160);

    const blind = await connect({ token: await tokenFor('blind', ['presence']), clientId: 'blind' });
    const blindSaw: string[] = [];
    await blind.channels.get(channel).presence.subscribe((p) => void blindSaw.push(`${p.action}:${p.clientId}`));
    await blind.channels.get(channel).presence.enter();
    await until(() => watched.includes('enter:blind'), 'the watcher to see blind enter');
    // blind sees its own enter (the SDK needs it) but not the watcher, who entered before and stays hidden.
    await until(() => blindSaw.includes('enter:blind'), 'blind to see itself');
    await watcher.channels.get(channel).presence.update('marker');
    await blind.channels.get(channel).presence.update('own-marker');
    await until(() => blindSaw.includes('update:blind'), 'blind to see its own update');
    expect(blindSaw).toEqual(['enter:blind', 'update:blind']);
  });
});

/** Attaches with a raw JSON socket and returns the frames until the SYNC ends. */
async function rawAttach(channel: string): Promise<Array<Record<string, unknown>>> {
  const ws = new WebSocket(`ws://127.0.0.1:${server().port}/?key=${encodeURIComponent(KEYS.full)}&format=json&v=6`);
  const frames: Array<Record<string, unknown>> = [];
  ws.on('message', (d: Buffer) => {
    const f = JSON.parse(d.toString());
    if (f.action === 4) ws.send(JSON.stringify({ action: 10, channel }));
    else frames.push(f);
  });
  await until(() => frames.some((f) => f.action === 16 && /:$/.test(f.channelSerial as string)), 'the end of the SYNC');
  ws.close();
  return frames;
}
