import { describe, expect, inject, it } from 'vitest';
import * as Ably from 'ably';
import { useInProcessCluster } from '../support/in-process-cluster.ts';
import { clientOptions, type TestRowcast } from '../support/rowcast.ts';

/**
 * Issue 12 on a cluster: the state of mutable messages is shared through Redis. A message published on one
 * node is changed through another and read back through a third; annotations published on two nodes are
 * summarised together.
 */
const redisUrl = inject('redisUrl');

describe.skipIf(!redisUrl)(
  redisUrl ? 'mutable messages on a three-node cluster' : 'cluster mutable messages: SKIPPED, no Redis (set REDIS_URL)',
  () => {
    const cluster = useInProcessCluster(redisUrl, 'cluster-mutable', 3);
    const realtimeOn = (node: TestRowcast, options: Ably.ClientOptions) =>
      cluster.track(new Ably.Realtime(clientOptions(node, { key: node.keys.full, ...options }) as Ably.ClientOptions));
    const restOn = (node: TestRowcast, options: Ably.ClientOptions) =>
      new Ably.Rest(clientOptions(node, { key: node.keys.full, ...options }) as Ably.ClientOptions);

    it('an update made through another node reaches every subscriber and is what every node answers', async () => {
      const [a, b, c] = cluster.nodes();
      const name = 'cluster-mutable-update';
      const watcherChannel = realtimeOn(c!, { clientId: 'watcher' }).channels.get(name);
      const seen: Ably.InboundMessage[] = [];
      await watcherChannel.subscribe((m) => void seen.push(m));
      const author = realtimeOn(a!, { clientId: 'alice' }).channels.get(name);
      const [serial] = (await author.publish('post', 'first draft')).serials;
      // Through node b, at once: node b has never seen the message but for the shared state.
      const { versionSerial } = await restOn(b!, { clientId: 'alice' }).channels.get(name).updateMessage({ serial: serial!, data: 'final' });
      await expect.poll(() => seen.map((m) => m.action)).toEqual(['message.create', 'message.update']);
      expect(seen[1]).toMatchObject({ serial, data: 'final', name: 'post', version: { serial: versionSerial, clientId: 'alice' } });
      for (const node of [a!, b!, c!]) {
        const channel = restOn(node, {}).channels.get(name);
        expect(await channel.getMessage(serial!)).toMatchObject({ serial, action: 'message.update', data: 'final' });
        expect((await channel.getMessageVersions(serial!)).items.map((m) => m.data)).toEqual(['first draft', 'final']);
        expect((await channel.history()).items.map((m) => [m.serial, m.data])).toEqual([[serial, 'final']]);
      }
    });

    it('annotations published through two nodes are summarised together; each node lists them all', async () => {
      const [a, b, c] = cluster.nodes();
      const name = 'cluster-mutable-annotations';
      const watcher = realtimeOn(c!, { clientId: 'watcher' }).channels.get(name);
      const summaries: Ably.InboundMessage[] = [];
      await watcher.subscribe((m) => void (m.action === 'message.summary' && summaries.push(m)));
      const [serial] = (await restOn(a!, {}).channels.get(name).publish('post', 'react to me')).serials;
      await restOn(a!, { clientId: 'alice' }).channels.get(name).annotations.publish(serial!, { type: 'reaction:distinct.v1', name: '👍' });
      await restOn(b!, { clientId: 'bob' }).channels.get(name).annotations.publish(serial!, { type: 'reaction:distinct.v1', name: '👍' });
      const expected = { 'reaction:distinct.v1': { '👍': { total: 2, clientIds: ['alice', 'bob'], clipped: false } } };
      await expect.poll(() => summaries.at(-1)?.annotations?.summary).toEqual(expected);
      for (const node of [a!, b!, c!]) {
        const channel = restOn(node, {}).channels.get(name);
        expect((await channel.getMessage(serial!)).annotations?.summary).toEqual(expected);
        expect((await channel.annotations.get(serial!, {})).items.map((x) => x.clientId)).toEqual(['alice', 'bob']);
      }
    });
  },
);
