import { describe, expect, it } from 'vitest';
import { dropTransport } from '@rowcast/core/testing';
import type * as Ably from 'ably';
import { KEYS } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/**
 * Issue 12, parts 1 and 2, through ably 2.28's own API: `updateMessage`, `deleteMessage`, `appendMessage`,
 * `getMessage`, `getMessageVersions` and annotations, over realtime and REST, on any channel (no namespace
 * setting). Subscribers get each change with the original serial; history and rewind show messages as they now
 * are; the own/any capabilities decide who may change whose message.
 */
const { server, realtime, rest } = useRowcast();

/** Subscribes and collects messages (any action); `until(pred)` waits for one matching. */
async function collect(channel: Ably.RealtimeChannel) {
  const got: Ably.Message[] = [];
  await channel.subscribe((m) => void got.push(m));
  return {
    got,
    async until(pred: (m: Ably.Message) => boolean): Promise<Ably.Message> {
      await expect.poll(() => got.some(pred)).toBe(true);
      return got.find(pred)!;
    },
  };
}

async function errorOf(p: Promise<unknown>): Promise<{ code?: number; statusCode?: number }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: number; statusCode?: number };
  }
  throw new Error('expected a refusal');
}

describe.each([
  ['msgpack', true],
  ['json', false],
])('mutable messages (%s)', (format, useBinaryProtocol) => {
  it('a realtime update and delete reach subscribers with the same serial and a new version; getMessage, versions and history show them', async () => {
    const name = `mutable-rt-${format}`;
    const author = realtime({ key: KEYS.full, clientId: 'alice', useBinaryProtocol }).channels.get(name);
    const watcher = await collect(realtime({ key: KEYS.full, useBinaryProtocol }).channels.get(name));
    await author.attach();
    const { serials } = await author.publish('greeting', { text: 'helo' });
    const serial = serials[0]!;
    const created = await watcher.until((m) => m.serial === serial);
    expect(created.action).toBe('message.create');
    expect(created.version?.serial).toBe(serial);

    const update = await author.updateMessage({ serial, data: { text: 'hello' } }, { description: 'typo', metadata: { reason: 'spelling' } });
    expect(update.versionSerial! > serial).toBe(true);
    const updated = await watcher.until((m) => m.action === 'message.update');
    expect(updated).toMatchObject({ serial, name: 'greeting', data: { text: 'hello' }, clientId: 'alice' });
    expect(updated.version).toMatchObject({ serial: update.versionSerial, clientId: 'alice', description: 'typo', metadata: { reason: 'spelling' } });

    const del = await author.deleteMessage({ serial }, { description: 'gone' });
    expect(del.versionSerial! > update.versionSerial!).toBe(true);
    const deleted = await watcher.until((m) => m.action === 'message.delete');
    expect(deleted).toMatchObject({ serial, name: 'greeting', version: { serial: del.versionSerial, description: 'gone' } });
    // Each change arrived after the one before it, in channel order.
    expect(watcher.got.map((m) => m.action)).toEqual(['message.create', 'message.update', 'message.delete']);

    const latest = await author.getMessage(serial);
    expect(latest).toMatchObject({ serial, action: 'message.delete', version: { serial: del.versionSerial } });
    const versions = await author.getMessageVersions(serial);
    expect(versions.items.map((m) => [m.action, m.version?.serial])).toEqual([
      ['message.create', serial],
      ['message.update', update.versionSerial],
      ['message.delete', del.versionSerial],
    ]);
    const history = await rest({ key: KEYS.full, useBinaryProtocol }).channels.get(name).history();
    expect(history.items.map((m) => [m.serial, m.action, m.data])).toEqual([[serial, 'message.delete', { text: 'hello' }]]);
  });

  it('a REST update, append and getMessage; rewind delivers the message as it now is', async () => {
    const name = `mutable-rest-${format}`;
    const channel = rest({ key: KEYS.full, useBinaryProtocol }).channels.get(name);
    const { serials } = await channel.publish('stream', 'Hello');
    const serial = serials[0]!;
    const watcher = await collect(realtime({ key: KEYS.full, useBinaryProtocol }).channels.get(name));
    const appended = await channel.appendMessage({ serial, data: ' World' }, { clientId: 'streamer' });
    const delta = await watcher.until((m) => m.action === 'message.append');
    expect(delta).toMatchObject({ serial, data: ' World', version: { serial: appended.versionSerial, clientId: 'streamer' } });
    const now = await channel.getMessage(serial);
    expect(now).toMatchObject({ serial, action: 'message.update', data: 'Hello World', name: 'stream' });

    // Operation metadata is a map of strings, as Ably's API has it.
    const badMetadata = { metadata: { attempt: 2 } } as unknown as Ably.MessageOperation;
    expect(await errorOf(channel.updateMessage({ serial, name: 'x' }, badMetadata))).toMatchObject({ code: 40003, statusCode: 400 });
    const updated = await channel.updateMessage({ serial, name: 'renamed' });
    expect(updated.versionSerial! > appended.versionSerial!).toBe(true);
    const late = realtime({ key: KEYS.full, useBinaryProtocol }).channels.get(name, { params: { rewind: '1' } });
    const replayed = await collect(late);
    const first = await replayed.until(() => true);
    expect(first).toMatchObject({
      serial,
      action: 'message.update',
      name: 'renamed',
      data: 'Hello World',
      version: { serial: updated.versionSerial },
    });
  });

  it('a subscriber whose transport was cut gets the changes it missed on resume, in order', async () => {
    const name = `mutable-resume-${format}`;
    const author = realtime({ key: KEYS.full, clientId: 'alice', useBinaryProtocol }).channels.get(name);
    const subscriber = realtime({ key: KEYS.full, useBinaryProtocol });
    const watched = subscriber.channels.get(name);
    const watcher = await collect(watched);
    const resumed: boolean[] = [];
    watched.on('attached', (change) => void resumed.push(change.resumed));
    const [serial] = (await author.publish('post', 'v1')).serials;
    await watcher.until((m) => m.serial === serial);
    const id = subscriber.connection.id!;
    expect(dropTransport(server().node, id)).toBe(true);
    await author.updateMessage({ serial: serial!, data: 'v2' });
    await author.deleteMessage({ serial: serial! });
    await watcher.until((m) => m.action === 'message.delete');
    expect(subscriber.connection.id).toBe(id);
    expect(resumed).toEqual([true]);
    expect(watcher.got.map((m) => [m.serial, m.action, m.data])).toEqual([
      [serial, 'message.create', 'v1'],
      [serial, 'message.update', 'v2'],
      [serial, 'message.delete', 'v2'],
    ]);
  });

  it('a key with only message-update-own may change its own messages, not others; the refusals carry Ably codes', async () => {
    const name = `mutable-caps-${format}`;
    const admin = rest({ key: KEYS.full, useBinaryProtocol });
    const own: Record<string, Ably.capabilityOp[]> = { [name]: ['publish', 'subscribe', 'history', 'message-update-own'] };
    const bobToken = await admin.auth.requestToken({ clientId: 'bob', capability: own });
    const bob = realtime({ tokenDetails: bobToken, useBinaryProtocol }).channels.get(name);
    const carol = realtime({ key: KEYS.full, clientId: 'carol', useBinaryProtocol }).channels.get(name);
    await Promise.all([bob.attach(), carol.attach()]);
    const [bobs] = (await bob.publish('m', 'by bob')).serials;
    const [carols] = (await carol.publish('m', 'by carol')).serials;

    expect((await bob.updateMessage({ serial: bobs!, data: 'bob again' })).versionSerial).toEqual(expect.any(String));
    expect(await errorOf(bob.updateMessage({ serial: carols!, data: 'forged' }))).toMatchObject({ code: 40160, statusCode: 401 });
    expect(await errorOf(bob.deleteMessage({ serial: bobs! }))).toMatchObject({ code: 40160, statusCode: 401 });
    // The same over REST, with the same token.
    const bobRest = rest({ tokenDetails: bobToken, useBinaryProtocol }).channels.get(name);
    expect(await errorOf(bobRest.updateMessage({ serial: carols!, data: 'forged' }))).toMatchObject({ code: 40160, statusCode: 401 });
    // An anonymous client holding only the "own" form has no messages of its own: 40166.
    const anonToken = await admin.auth.requestToken({ capability: own });
    const anon = rest({ tokenDetails: anonToken, useBinaryProtocol }).channels.get(name);
    expect(await errorOf(anon.updateMessage({ serial: bobs!, data: 'x' }))).toMatchObject({ code: 40166, statusCode: 401 });
    // An unknown serial is 40400.
    expect(await errorOf(admin.channels.get(name).getMessage(`${bobs}9`))).toMatchObject({ code: 40400, statusCode: 404 });
    expect((await admin.channels.get(name).getMessage(carols!)).data).toBe('by carol');
    expect((await admin.channels.get(name).getMessage(bobs!)).data).toBe('bob again');
  });

  it('annotations: realtime and REST publish, delivery to annotation subscribers only, summaries, delete and the REST list', async () => {
    const name = `mutable-annotations-${format}`;
    const modes: Ably.ChannelMode[] = ['publish', 'subscribe', 'annotation_publish', 'annotation_subscribe'];
    const alice = realtime({ key: KEYS.full, clientId: 'alice', useBinaryProtocol }).channels.get(name, { modes });
    const plain = realtime({ key: KEYS.full, clientId: 'plain', useBinaryProtocol }).channels.get(name);
    const seenAnnotations: Ably.Annotation[] = [];
    await alice.annotations.subscribe((a) => void seenAnnotations.push(a));
    const messages = await collect(alice);
    const plainSeen = await collect(plain);
    const plainAnnotations: Ably.Annotation[] = [];
    plain.annotations.subscribe((a) => void plainAnnotations.push(a)).catch(() => undefined);
    const [serial] = (await alice.publish('post', 'hello')).serials;

    await alice.annotations.publish(serial!, { type: 'reaction:distinct.v1', name: '👍' });
    await expect.poll(() => seenAnnotations.length).toBe(1);
    expect(seenAnnotations[0]).toMatchObject({
      action: 'annotation.create',
      messageSerial: serial,
      type: 'reaction:distinct.v1',
      name: '👍',
      clientId: 'alice',
    });
    expect(seenAnnotations[0]!.serial! > serial!).toBe(true);
    const firstSummary = await plainSeen.until((m) => m.action === 'message.summary');
    expect(firstSummary.serial).toBe(serial);
    expect(firstSummary.annotations?.summary['reaction:distinct.v1']).toEqual({ '👍': { total: 1, clientIds: ['alice'], clipped: false } });

    const bob = rest({ key: KEYS.full, clientId: 'bob', useBinaryProtocol }).channels.get(name);
    await bob.annotations.publish(serial!, { type: 'reaction:distinct.v1', name: '👍' });
    await bob.annotations.publish(serial!, { type: 'votes:multiple.v1', name: 'up', count: 3 });
    await bob.annotations.publish(serial!, { type: 'seen:total.v1' });
    await expect.poll(() => seenAnnotations.length).toBe(4);
    await alice.annotations.delete(serial!, { type: 'reaction:distinct.v1', name: '👍' });
    await expect.poll(() => seenAnnotations.length).toBe(5);
    expect(seenAnnotations[4]).toMatchObject({ action: 'annotation.delete', clientId: 'alice' });

    const expected = {
      'reaction:distinct.v1': { '👍': { total: 1, clientIds: ['bob'], clipped: false } },
      'votes:multiple.v1': { up: { total: 3, clientIds: { bob: 3 }, totalUnidentified: 0, clipped: false, totalClientIds: 1 } },
      'seen:total.v1': { total: 1 },
    };
    await expect.poll(() => messages.got.filter((m) => m.action === 'message.summary').length).toBe(5);
    expect(messages.got.filter((m) => m.action === 'message.summary').at(-1)!.annotations?.summary).toEqual(expected);
    // Summaries reach every subscriber; the annotations themselves only those that asked for them.
    expect(plainAnnotations).toEqual([]);
    expect((await bob.getMessage(serial!)).annotations?.summary).toEqual(expected);
    const history = await bob.history();
    expect(history.items.map((m) => [m.serial, m.action, m.annotations?.summary])).toEqual([[serial, 'message.create', expected]]);

    const listed = await alice.annotations.get(serial!, { limit: 2 });
    expect(listed.items.map((a) => [a.action, a.name, a.clientId])).toEqual([
      ['annotation.create', '👍', 'alice'],
      ['annotation.create', '👍', 'bob'],
    ]);
    const rest2 = await listed.next();
    expect(rest2!.items.map((a) => a.type)).toEqual(['votes:multiple.v1', 'seen:total.v1']);
    const rest3 = await rest2!.next();
    expect(rest3!.items.map((a) => a.action)).toEqual(['annotation.delete']);
    expect(rest3!.hasNext()).toBe(false);

    // An edit keeps the reactions: the update carries the summary, and so does the message read afterwards.
    await alice.updateMessage({ serial: serial!, data: 'hello, edited' });
    const edited = await plainSeen.until((m) => m.action === 'message.update');
    expect(edited.annotations?.summary).toEqual(expected);
    expect(await bob.getMessage(serial!)).toMatchObject({ data: 'hello, edited', annotations: { summary: expected } });
  });
});
