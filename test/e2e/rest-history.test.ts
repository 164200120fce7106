import { describe, expect, it } from 'vitest';
import * as Ably from 'ably';
import { KEYS } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/** REST history and presence (issue 3): paging through 1,000 messages both ways, members, presence history. */
const FULL_KEY = KEYS.full;
const { realtime, rest } = useRowcast();

/** Follows `next()` to the end, returning every item and the number of pages seen. */
async function readAll<T>(first: Ably.PaginatedResult<T>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let pages = 0;
  for (let page: Ably.PaginatedResult<T> | null = first; page; page = page.hasNext() ? await page.next() : null) {
    items.push(...page.items);
    pages++;
  }
  return { items, pages };
}

describe.each([
  ['msgpack', true],
  ['json', false],
])('REST history and presence over %s', (name, useBinaryProtocol) => {
  it('pages through 1,000 messages backwards and forwards', async () => {
    const client = rest({ key: FULL_KEY, useBinaryProtocol });
    const channel = client.channels.get(`history-1000-${name}`);
    for (let batch = 0; batch < 10; batch++) {
      await channel.publish(Array.from({ length: 100 }, (_, i) => ({ name: 'n', data: String(batch * 100 + i) })));
    }
    const all = Array.from({ length: 1000 }, (_, i) => String(i));

    const backwards = await readAll(await channel.history({ limit: 100 }));
    expect(backwards.pages).toBe(10);
    expect(backwards.items.map((m) => m.data)).toEqual([...all].reverse());

    const forwards = await readAll(await channel.history({ limit: 250, direction: 'forwards' }));
    expect(forwards.pages).toBe(4);
    expect(forwards.items.map((m) => m.data)).toEqual(all);
    expect(new Set(forwards.items.map((m) => m.id)).size).toBe(1000);

    // first() goes back to the start of the listing.
    const page1 = await channel.history({ limit: 100, direction: 'forwards' });
    const page2 = await page1.next();
    const again = await page2!.first();
    expect(again.items.map((m) => m.data)).toEqual(all.slice(0, 100));
  });

  it('history returns every data type as it was published', async () => {
    const channel = rest({ key: FULL_KEY, useBinaryProtocol }).channels.get(`history-types-${name}`);
    await channel.publish([
      { name: 'text', data: 'plain' },
      { name: 'object', data: { list: [1, 'two'], nested: { ok: true } } },
      { name: 'binary', data: Buffer.from([255, 0, 128]) },
    ]);
    const items = (await channel.history({ direction: 'forwards' })).items;
    expect(items.map((m) => m.name)).toEqual(['text', 'object', 'binary']);
    expect(items[0]!.data).toBe('plain');
    expect(items[1]!.data).toEqual({ list: [1, 'two'], nested: { ok: true } });
    expect(Buffer.from(items[2]!.data as ArrayBuffer)).toEqual(Buffer.from([255, 0, 128]));
  });

  it('realtime history({ untilAttach: true }) stops at the attach point', async () => {
    const channelName = `until-attach-${name}`;
    const publisher = rest({ key: FULL_KEY, useBinaryProtocol }).channels.get(channelName);
    await publisher.publish([
      { name: 'before', data: '1' },
      { name: 'before', data: '2' },
    ]);
    const channel = realtime({ key: FULL_KEY, useBinaryProtocol }).channels.get(channelName);
    const live: string[] = [];
    await channel.subscribe((m) => live.push(m.data as string));
    await publisher.publish({ name: 'after', data: '3' });
    await expect.poll(() => live).toEqual(['3']);
    const page = await channel.history({ untilAttach: true });
    expect(page.items.map((m) => m.data)).toEqual(['2', '1']);
    const everything = await channel.history();
    expect(everything.items.map((m) => m.data)).toEqual(['3', '2', '1']);
  });

  it('history honours start and end', async () => {
    const channel = rest({ key: FULL_KEY, useBinaryProtocol }).channels.get(`history-window-${name}`);
    await channel.publish('early', '1');
    await new Promise((r) => setTimeout(r, 20));
    const middle = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    await channel.publish('late', '2');
    const late = await channel.history({ start: middle });
    expect(late.items.map((m) => m.name)).toEqual(['late']);
    const early = await channel.history({ end: middle });
    expect(early.items.map((m) => m.name)).toEqual(['early']);
  });

  it('presence over REST: members, presence history and batch presence', async () => {
    const channelName = `presence-rest-${name}`;
    const otherName = `presence-rest-other-${name}`;
    const clients = ['ann', 'ben', 'cat'].map((clientId) => realtime({ key: FULL_KEY, clientId, useBinaryProtocol }));
    for (const [i, c] of clients.entries()) await c.channels.get(channelName).presence.enter({ i });
    await clients[0]!.channels.get(otherName).presence.enter('solo');
    await clients[2]!.channels.get(channelName).presence.leave();

    const client = rest({ key: FULL_KEY, useBinaryProtocol });
    const channel = client.channels.get(channelName);
    await expect.poll(async () => (await channel.presence.get()).items.map((p) => p.clientId).sort()).toEqual(['ann', 'ben']);
    const members = (await channel.presence.get()).items;
    expect(members.find((p) => p.clientId === 'ben')!.data).toEqual({ i: 1 });

    const filtered = await channel.presence.get({ clientId: 'ann' });
    expect(filtered.items.map((p) => p.clientId)).toEqual(['ann']);

    const history = await readAll(await channel.presence.history({ direction: 'forwards' }));
    expect(history.items.map((p) => `${p.action}:${p.clientId}`)).toEqual(['enter:ann', 'enter:ben', 'enter:cat', 'leave:cat']);

    const batch = (await client.batchPresence([channelName, otherName])) as unknown as {
      successCount: number;
      results: Array<{ channel: string; presence: Ably.PresenceMessage[] }>;
    };
    expect(batch.successCount).toBe(2);
    const byChannel = Object.fromEntries(batch.results.map((r) => [r.channel, r.presence.map((p) => p.clientId).sort()]));
    expect(byChannel).toEqual({ [channelName]: ['ann', 'ben'], [otherName]: ['ann'] });
  });

  it('pages through a large presence set', async () => {
    const channelName = `presence-many-${name}`;
    const holder = realtime({ key: FULL_KEY, useBinaryProtocol });
    const presence = holder.channels.get(channelName).presence;
    await Promise.all(Array.from({ length: 120 }, (_, i) => presence.enterClient(`member-${i}`)));
    const channel = rest({ key: FULL_KEY, useBinaryProtocol }).channels.get(channelName);
    const all = await readAll(await channel.presence.get({ limit: 50 }));
    expect(all.pages).toBe(3);
    expect(new Set(all.items.map((p) => p.clientId)).size).toBe(120);
  });
});
