import { describe, expect, it } from 'vitest';
import type * as Ably from 'ably';
import { KEYS, until } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/** Issue 3, history on attach: `rewind=N` and `rewind=2m`, as channel params or the `[?rewind=...]name` prefix. */
const { realtime } = useRowcast();

describe.each([
  ['msgpack', true],
  ['json', false],
])('rewind (%s)', (format, useBinaryProtocol) => {
  function client(): Ably.Realtime {
    return realtime({ key: KEYS.full, useBinaryProtocol });
  }

  async function publishBacklog(channel: string, n: number): Promise<void> {
    const ch = client().channels.get(channel);
    for (let i = 0; i < n; i++) await ch.publish('old', String(i));
  }

  /** Subscribes to `name` (with `options`), then publishes one live message; returns everything received. */
  async function subscribeThenLive(name: string, base: string, options?: Ably.ChannelOptions) {
    const c = client();
    const ch = c.channels.get(name, options);
    const received: string[] = [];
    const attached = new Promise<Ably.ChannelStateChange>((ok) => ch.once('attached', ok));
    await ch.subscribe((m) => void received.push(`${m.name}:${m.data}`));
    const change = await attached;
    await client().channels.get(base).publish('live', 'L');
    await until(() => received.includes('live:L'), 'the live message');
    return { received, change };
  }

  it('rewind=10 (params) delivers the last 10 messages, in order, before live ones, with HAS_BACKLOG', async () => {
    const base = `rewind-count-${format}`;
    await publishBacklog(base, 25);
    const { received, change } = await subscribeThenLive(base, base, { params: { rewind: '10' } });
    expect(received).toEqual([...Array.from({ length: 10 }, (_, i) => `old:${i + 15}`), 'live:L']);
    expect(change.hasBacklog).toBe(true);
  });

  it('[?rewind=2m]name delivers the last two minutes of messages', async () => {
    const base = `rewind-time-${format}`;
    await publishBacklog(base, 12);
    const { received } = await subscribeThenLive(`[?rewind=2m]${base}`, base);
    expect(received).toEqual([...Array.from({ length: 12 }, (_, i) => `old:${i}`), 'live:L']);
  });

  it('without rewind only live messages arrive', async () => {
    const base = `rewind-none-${format}`;
    await publishBacklog(base, 3);
    const { received, change } = await subscribeThenLive(base, base);
    expect(received).toEqual(['live:L']);
    expect(change.hasBacklog).toBeFalsy();
  });

  it('history({ untilAttach: true }) returns what came before the attach, not after', async () => {
    const base = `until-attach-${format}`;
    await publishBacklog(base, 5);
    const c = client();
    const ch = c.channels.get(base);
    await ch.attach();
    await client().channels.get(base).publish('after', 'A');
    const page = await ch.history({ untilAttach: true });
    expect(page.items.map((m) => m.data)).toEqual(['4', '3', '2', '1', '0']);
  });
});
