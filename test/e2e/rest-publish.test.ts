import { describe, expect, it } from 'vitest';
import * as Ably from 'ably';
import { KEYS } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/** REST publishing with the unmodified SDK reaches realtime subscribers; time and channel status answer. */
const FULL_KEY = KEYS.full;
const { realtime, rest } = useRowcast();

/** Subscribes and collects messages; `until(n)` waits for n of them. */
async function collect(channel: Ably.RealtimeChannel) {
  const got: Ably.Message[] = [];
  await channel.subscribe((m) => got.push(m));
  return {
    got,
    async until(n: number) {
      await expect.poll(() => got.length).toBeGreaterThanOrEqual(n);
      return got;
    },
  };
}

describe.each([
  ['msgpack', true],
  ['json', false],
])('REST over %s', (name, useBinaryProtocol) => {
  it('time() answers the server clock', async () => {
    const before = Date.now();
    const t = await rest({ key: FULL_KEY, useBinaryProtocol }).time();
    expect(t).toBeGreaterThanOrEqual(before - 1000);
    expect(t).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('a REST publish (single and array) reaches a realtime subscriber with every data type', async () => {
    const channelName = `rest-pub-${name}`;
    const sub = await collect(realtime({ key: FULL_KEY, useBinaryProtocol }).channels.get(channelName));
    const channel = rest({ key: FULL_KEY, useBinaryProtocol, clientId: 'rester' }).channels.get(channelName);
    await channel.publish('text', 'hello');
    await channel.publish([
      { name: 'object', data: { nested: [1, 2, { x: 'y' }] } },
      { name: 'binary', data: Buffer.from([0, 1, 2, 254, 255]) },
    ]);
    const got = await sub.until(3);
    expect(got.map((m) => m.name)).toEqual(['text', 'object', 'binary']);
    expect(got[0]!.data).toBe('hello');
    expect(got[1]!.data).toEqual({ nested: [1, 2, { x: 'y' }] });
    expect(Buffer.from(got[2]!.data as ArrayBuffer)).toEqual(Buffer.from([0, 1, 2, 254, 255]));
    expect(got.every((m) => m.clientId === 'rester')).toBe(true);
    expect(new Set(got.map((m) => m.id)).size).toBe(3);
  });

  it('publishing the same idempotent message id twice delivers it once', async () => {
    const channelName = `rest-idem-${name}`;
    const sub = await collect(realtime({ key: FULL_KEY, useBinaryProtocol }).channels.get(channelName));
    const channel = rest({ key: FULL_KEY, useBinaryProtocol }).channels.get(channelName);
    await channel.publish({ id: 'fixed-id:0', name: 'once', data: 'one' });
    await channel.publish({ id: 'fixed-id:0', name: 'once', data: 'one' });
    await channel.publish({ name: 'marker', data: 'two' });
    const got = await sub.until(2);
    await expect.poll(() => got.some((m) => m.name === 'marker')).toBe(true);
    expect(got.map((m) => m.name)).toEqual(['once', 'marker']);
  });

  it('a batch publish reaches subscribers of every channel, with per-channel results', async () => {
    const a = await collect(realtime({ key: FULL_KEY, useBinaryProtocol }).channels.get(`batch-a-${name}`));
    const b = await collect(realtime({ key: FULL_KEY, useBinaryProtocol }).channels.get(`batch-b-${name}`));
    const client = rest({ key: FULL_KEY, useBinaryProtocol });
    const result = await client.batchPublish({
      channels: [`batch-a-${name}`, `batch-b-${name}`],
      messages: [
        { name: 'one', data: 'first' },
        { name: 'two', data: 'second' },
      ],
    });
    expect(result.successCount).toBe(2);
    expect(result.failureCount).toBe(0);
    expect(result.results.map((r) => r.channel)).toEqual([`batch-a-${name}`, `batch-b-${name}`]);
    for (const sub of [a, b]) expect((await sub.until(2)).map((m) => m.data)).toEqual(['first', 'second']);
  });

  it('a batch publish reports a refused channel without failing the others', async () => {
    const client = rest({ key: 'app1.sub:subsecret', useBinaryProtocol });
    const result = await client.batchPublish({ channels: ['room-x'], messages: [{ name: 'n', data: 'd' }] });
    expect(result.failureCount).toBe(1);
    expect((result.results[0] as Ably.BatchPublishFailureResult).error.code).toBe(40160);
  });

  it('channel status reports occupancy', async () => {
    const channelName = `status-${name}`;
    const subscriber = realtime({ key: FULL_KEY, useBinaryProtocol });
    await subscriber.channels.get(channelName).attach();
    const details = await rest({ key: FULL_KEY, useBinaryProtocol }).channels.get(channelName).status();
    expect(details.channelId).toBe(channelName);
    expect(details.status.isActive).toBe(true);
    expect(details.status.occupancy.metrics.connections).toBeGreaterThanOrEqual(1);
  });
});
