import { describe, expect, it } from 'vitest';
import { KEYS, spawnAblyClient, until } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/**
 * Issue 11, item 7: messages with `extras.ephemeral: true` reach the subscribers attached when they are published
 * and nothing else, as on Ably: not history (REST or realtime), not a rewind, not the replay of a recovered
 * connection, not the accepted hooks that feed integration rules.
 */
const { server, realtime, rest } = useRowcast();
const EPHEMERAL = { extras: { ephemeral: true } };

describe.each([
  ['msgpack', true],
  ['json', false],
])('ephemeral messages (%s)', (format, useBinaryProtocol) => {
  const client = () => realtime({ key: KEYS.full, useBinaryProtocol });

  it('are delivered live but are absent from history, from a rewind and from the accepted hooks', async () => {
    const name = `ephemeral-live-${format}`;
    const hooked: string[] = [];
    server().node.onAccepted((event) => {
      if (event.channel === name && event.kind === 'message') hooked.push(...event.messages.map((m) => String(m.data)));
    });
    const live: string[] = [];
    await client()
      .channels.get(name)
      .subscribe((m) => void live.push(String(m.data)));
    const pub = client().channels.get(name);
    await pub.publish({ name: 'n', data: 'kept 1' });
    await pub.publish({ name: 'n', data: 'typing…', ...EPHEMERAL });
    await rest({ key: KEYS.full, useBinaryProtocol })
      .channels.get(name)
      .publish({ name: 'n', data: 'rest typing…', ...EPHEMERAL });
    // One publish holding both kinds: only the ephemeral one is left out.
    await pub.publish([
      { name: 'n', data: 'kept 2' },
      { name: 'n', data: 'typing again…', ...EPHEMERAL },
    ]);
    await until(() => live.length === 5, 'the five messages live');
    expect(live).toEqual(['kept 1', 'typing…', 'rest typing…', 'kept 2', 'typing again…']);

    const restHistory = await rest({ key: KEYS.full, useBinaryProtocol }).channels.get(name).history();
    expect(restHistory.items.map((m) => m.data)).toEqual(['kept 2', 'kept 1']);
    const realtimeHistory = await pub.history({ direction: 'forwards' });
    expect(realtimeHistory.items.map((m) => m.data)).toEqual(['kept 1', 'kept 2']);

    const rewound: string[] = [];
    const late = client().channels.get(name, { params: { rewind: '10' } });
    await late.subscribe((m) => void rewound.push(String(m.data)));
    await pub.publish('n', 'after the rewind');
    await until(() => rewound.includes('after the rewind'), 'the live message after the rewind');
    expect(rewound).toEqual(['kept 1', 'kept 2', 'after the rewind']);

    expect(hooked).toEqual(['kept 1', 'kept 2', 'after the rewind']);
  });

  it('are not replayed to a connection recovered after it missed them', async () => {
    const name = `ephemeral-recover-${format}`;
    const first = spawnAblyClient(server(), { key: KEYS.full, channel: name, subscribe: true, useBinaryProtocol });
    const attached = await first.waitFor((l) => l.attached === true, 'the first process to subscribe');
    await first.kill();
    const pub = client().channels.get(name);
    await pub.publish('n', 'missed 1');
    await pub.publish({ name: 'n', data: 'missed typing…', ...EPHEMERAL });
    await pub.publish('n', 'missed 2');

    const second = realtime({ key: KEYS.full, useBinaryProtocol, recover: String(attached.recoveryKey) });
    const got: string[] = [];
    const ch = second.channels.get(name);
    await ch.subscribe((m) => void got.push(String(m.data)));
    await pub.publish('n', 'live');
    await until(() => got.includes('live'), 'the live message after the recovery');
    expect(second.connection.errorReason).toBeFalsy();
    expect(got).toEqual(['missed 1', 'missed 2', 'live']);
  });
});
