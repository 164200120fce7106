import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Ably from 'ably';
import {
  ChatClient,
  ChatMessageAction,
  ChatMessageEventType,
  MessageReactionType,
  OrderBy,
  type ChatMessageEvent,
  type Message,
  type MessageReactionRawEvent,
  type MessageReactionSummaryEvent,
  type OccupancyEvent,
  type Room,
  type RoomReactionEvent,
  type TypingSetEvent,
} from '@ably/chat';
import { SignJWT } from 'jose';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { clientOptions, eventually, spawnRowcast, until, type SpawnedRowcast, type TestConfig } from '../support/rowcast.ts';

/**
 * Issue 12: Ably's Chat SDK (`@ably/chat`, pinned), unmodified, against a real `rowcast start` with a database.
 * Two users, each signed in by an auth server that hands out JWTs (clientId, a room-scoped capability and the
 * `ably.room.<room>` user claim), as a real app would; they chat in one room through everything the SDK offers,
 * then Rowcast restarts on the same database and the room's history is still there.
 */

const ROOM = 'lobby';
const CHANNEL = `${ROOM}::$chat`;
const SECRET = new TextEncoder().encode('fullsecret');
/** What a chat user may do in the room: everything but edit or delete someone else's messages. */
const USER_RIGHTS = [
  'publish',
  'subscribe',
  'presence',
  'history',
  'channel-metadata',
  'annotation-publish',
  'annotation-subscribe',
  'message-update-own',
  'message-delete-own',
];

let db: TestDatabase;
let rowcast: SpawnedRowcast;
const clients: Ably.Realtime[] = [];

/** The app's auth server: a JWT for `clientId`, signed with the key, carrying the room's user claim. */
function issueJwt(clientId: string, rights = USER_RIGHTS): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    'x-ably-capability': JSON.stringify({ [CHANNEL]: rights }),
    'x-ably-clientId': clientId,
    [`ably.room.${ROOM}`]: `member:${clientId}`,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: 'app1.full' })
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(SECRET);
}

/** A browser-like user: an `ably` Realtime client authenticated through authCallback, and a ChatClient on it. */
function signIn(clientId: string): ChatClient {
  const realtime = new Ably.Realtime(
    clientOptions(rowcast, {
      authCallback: (_params: unknown, done: (err: string | null, token: string | null) => void) => {
        issueJwt(clientId).then(
          (jwt) => done(null, jwt),
          (err: Error) => done(err.message, null),
        );
      },
    }) as Ably.ClientOptions,
  );
  clients.push(realtime);
  return new ChatClient(realtime);
}

async function joinRoom(chat: ChatClient): Promise<Room> {
  const room = await chat.rooms.get(ROOM, { occupancy: { enableEvents: true }, typing: { heartbeatThrottleMs: 1000 } });
  await room.attach();
  return room;
}

/** Every page of a history query, in the order the SDK hands them out. */
async function allPages(first: Promise<{ items: Message[]; hasNext(): boolean; next(): Promise<unknown> }>): Promise<Message[][]> {
  const pages: Message[][] = [];
  let page = await first;
  for (;;) {
    pages.push(page.items);
    if (!page.hasNext()) return pages;
    page = (await page.next()) as typeof page;
  }
}

async function refusal(promise: Promise<unknown>): Promise<Ably.ErrorInfo> {
  try {
    await promise;
  } catch (err) {
    return err as Ably.ErrorInfo;
  }
  throw new Error('expected a refusal');
}

const config = (): TestConfig => ({ database: { url: db.url } });

beforeAll(async () => {
  db = await createTestDatabase('chat_sdk');
  rowcast = await spawnRowcast(config(), { env: { DATABASE_URL: db.url } });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await rowcast?.stop();
  await db?.drop();
});

describe('@ably/chat against Rowcast', () => {
  let alice: Room;
  let bob: Room;
  const bobSaw: ChatMessageEvent[] = [];
  const sent: Message[] = [];
  /** A message as the test compares it (a deleted message's text is not asserted). */
  const summary = (m: Message) => [m.serial, m.action, m.action === ChatMessageAction.MessageDelete ? '(deleted)' : m.text];
  /** The room after the first message was edited and the second deleted. */
  const expectedAfterEdits = () => [
    [sent[0]!.serial, ChatMessageAction.MessageUpdate, 'hello 1 (edited)'],
    [sent[1]!.serial, ChatMessageAction.MessageDelete, '(deleted)'],
    ...sent.slice(2).map((m) => [m.serial, ChatMessageAction.MessageCreate, m.text]),
  ];

  it('two users join a room: each sees the other present, and occupancy counts both', async () => {
    alice = await joinRoom(signIn('alice'));
    bob = await joinRoom(signIn('bob'));
    const occupancy: OccupancyEvent[] = [];
    bob.occupancy.subscribe((event) => occupancy.push(event));

    await alice.presence.enter({ status: 'writing' });
    await bob.presence.enter({ status: 'reading' });

    await eventually(async () => (await alice.presence.get()).length === 2, 'both present');
    const members = await bob.presence.get();
    expect(members.map((m) => [m.clientId, m.data, m.userClaim]).sort()).toEqual([
      ['alice', { status: 'writing' }, 'member:alice'],
      ['bob', { status: 'reading' }, 'member:bob'],
    ]);
    // occupancy=metrics: `[meta]occupancy` events reach the room...
    await until(() => occupancy.some((e) => e.occupancy.connections === 2 && e.occupancy.presenceMembers === 2), 'occupancy event');
    expect(bob.occupancy.current).toEqual({ connections: 2, presenceMembers: 2 });
    // ...and the REST API answers the same
    expect(await alice.occupancy.get()).toEqual({ connections: 2, presenceMembers: 2 });
  });

  it('a message sent by one user reaches the other with its serial, text, metadata, headers and user claim', async () => {
    bob.messages.subscribe((event) => bobSaw.push(event));
    for (let i = 1; i <= 5; i++) {
      sent.push(await alice.messages.send({ text: `hello ${i}`, metadata: { n: i }, headers: { lang: 'en' } }));
    }
    const first = sent[0]!;
    expect(first.serial).toBeTruthy();
    expect(first.clientId).toBe('alice');
    expect(first.action).toBe(ChatMessageAction.MessageCreate);
    expect(first.userClaim).toBe('member:alice');
    await until(() => bobSaw.length === 5, 'five messages at bob');
    expect(bobSaw.map((e) => [e.type, e.message.serial, e.message.text, e.message.clientId])).toEqual(
      sent.map((m) => [ChatMessageEventType.Created, m.serial, m.text, 'alice']),
    );
    const received = bobSaw[2]!.message;
    expect([received.metadata, received.headers, received.userClaim]).toEqual([{ n: 3 }, { lang: 'en' }, 'member:alice']);
    // serials sort (as strings) in send order, as the SDK's ordering of versions relies on
    expect(sent.slice(1).every((m, i) => m.serial > sent[i]!.serial)).toBe(true);
  });

  it("a user cannot claim someone else's user claim: what the client sends as userClaim is replaced by its JWT's", async () => {
    const forged = bobSaw.length;
    // what a modified client could send on the room's channel: a chat message claiming to be an admin's
    // (ephemeral, so that the room's history below stays the five messages)
    const raw = clients[0]!.channels.get(CHANNEL);
    await raw.publish({ name: 'chat.message', data: { text: 'I am admin' }, extras: { userClaim: 'admin', ephemeral: true } });
    await until(() => bobSaw.length > forged, 'the raw message at bob');
    expect([bobSaw.at(-1)!.message.text, bobSaw.at(-1)!.message.userClaim]).toEqual(['I am admin', 'member:alice']);
    bobSaw.pop();
    // the same through the REST API with alice's JWT
    const rest = new Ably.Rest(clientOptions(rowcast, { token: await issueJwt('alice') }) as Ably.ClientOptions);
    await rest.channels
      .get(CHANNEL)
      .publish({ name: 'chat.message', data: { text: 'I am admin too' }, extras: { userClaim: 'admin', ephemeral: true } });
    await until(() => bobSaw.length > forged, 'the REST message at bob');
    expect([bobSaw.at(-1)!.message.text, bobSaw.at(-1)!.message.userClaim]).toEqual(['I am admin too', 'member:alice']);
    bobSaw.pop();
  });

  it('history pages both ways: newest first and oldest first give the same messages in opposite orders', async () => {
    const newest = await allPages(bob.messages.history({ orderBy: OrderBy.NewestFirst, limit: 2 }));
    const oldest = await allPages(bob.messages.history({ orderBy: OrderBy.OldestFirst, limit: 2 }));
    expect(newest.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(oldest.map((p) => p.length)).toEqual([2, 2, 1]);
    const texts = sent.map((m) => m.text);
    expect(newest.flat().map((m) => m.text)).toEqual([...texts].reverse());
    expect(oldest.flat().map((m) => m.text)).toEqual(texts);
    expect(oldest.flat()[0]!.version.serial).toBe(sent[0]!.version.serial);
  });

  it('a subscriber that joins late loads what was said before it subscribed (historyBeforeSubscribe)', async () => {
    const carol = await joinRoom(signIn('carol'));
    const { historyBeforeSubscribe } = carol.messages.subscribe(() => {});
    const before = await historyBeforeSubscribe({ limit: 3 });
    expect(before.items.map((m) => m.text)).toEqual(['hello 5', 'hello 4', 'hello 3']);
    await carol.detach();
  });

  it('the author edits and deletes; the other user sees both on the same serial; versions keep the history', async () => {
    const [target, doomed] = [sent[0]!, sent[1]!];
    const edited = await alice.messages.update(target.serial, { text: 'hello 1 (edited)', metadata: { n: 1 } }, { description: 'typo' });
    expect(edited.serial).toBe(target.serial);
    expect(edited.action).toBe(ChatMessageAction.MessageUpdate);
    expect(edited.version.serial > target.version.serial).toBe(true);
    expect(edited.version.description).toBe('typo');

    const deleted = await alice.messages.delete(doomed.serial, { description: 'oops' });
    expect(deleted.action).toBe(ChatMessageAction.MessageDelete);
    expect(deleted.text).toBe('');

    await until(() => bobSaw.length === 7, 'the update and the delete at bob');
    const [update, deletion] = bobSaw.slice(5);
    expect([update!.type, update!.message.serial, update!.message.text, update!.message.version.clientId]).toEqual([
      ChatMessageEventType.Updated,
      target.serial,
      'hello 1 (edited)',
      'alice',
    ]);
    expect([deletion!.type, deletion!.message.serial]).toEqual([ChatMessageEventType.Deleted, doomed.serial]);
    // the SDK's own reconciliation: the event is newer than what bob had
    expect(target.with(update!).text).toBe('hello 1 (edited)');

    const fetched = await bob.messages.get(target.serial);
    expect([fetched.text, fetched.action, fetched.version.serial]).toEqual([
      'hello 1 (edited)',
      ChatMessageAction.MessageUpdate,
      edited.version.serial,
    ]);
    const history = (await bob.messages.history({ orderBy: OrderBy.OldestFirst })).items;
    expect(history.map(summary)).toEqual(expectedAfterEdits());

    const versions = (await bob.messages.getVersions(target.serial)).items;
    expect(versions.map((v) => v.text).sort()).toEqual(['hello 1', 'hello 1 (edited)']);
    expect(versions.every((v) => v.serial === target.serial)).toBe(true);
  });

  it("a forged edit or delete of another user's message is refused, and the message stays as it was", async () => {
    const victim = sent[2]!;
    const edit = await refusal(bob.messages.update(victim.serial, { text: 'forged' }));
    expect([edit.code, edit.statusCode]).toEqual([40160, 401]);
    const removal = await refusal(bob.messages.delete(victim.serial));
    expect([removal.code, removal.statusCode]).toEqual([40160, 401]);
    expect((await alice.messages.get(victim.serial)).text).toBe(victim.text);
    // an unknown serial is not found
    const missing = await refusal(bob.messages.get('01700000000000-000@nosuchmessage:0'));
    expect([missing.code, missing.statusCode]).toEqual([40400, 404]);
  });

  it('malformed or unpermitted Chat API requests are refused with Ably error codes', async () => {
    /** The Chat REST API as any HTTP client calls it, with a user's JWT. */
    const call = async (jwt: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${rowcast.url}/chat/v4/rooms/${ROOM}${path}`, {
        method,
        headers: { authorization: `Bearer ${Buffer.from(jwt).toString('base64')}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const { error } = (await res.json()) as { error: { code: number } };
      return [res.status, error.code];
    };
    const user = await issueJwt('erin');
    const serial = encodeURIComponent(sent[3]!.serial);
    expect(await call(user, 'POST', '/messages', { metadata: {} })).toEqual([400, 40001]);
    expect(await call(user, 'POST', `/messages/${serial}/reactions`, { type: 'bogus', name: 'x' })).toEqual([400, 40001]);
    expect(await call(user, 'GET', '/nothing-here')).toEqual([404, 40400]);
    const reader = await issueJwt('frank', ['subscribe', 'history']);
    expect(await call(reader, 'POST', '/messages', { text: 'let me in' })).toEqual([401, 40160]);
    expect(await call(reader, 'POST', `/messages/${serial}/reactions`, { type: 'distinct', name: '👍' })).toEqual([401, 40160]);
    expect(await call(reader, 'GET', '/occupancy')).toEqual([401, 40160]);
    const res = await fetch(`${rowcast.url}/chat/v4/rooms/${ROOM}/messages`);
    expect([res.status, ((await res.json()) as { error: { code: number } }).error.code]).toEqual([401, 40101]);
  });

  it('a message reaction is added and removed; both users see the summary change', async () => {
    const target = sent[3]!;
    const summaries: MessageReactionSummaryEvent[] = [];
    alice.messages.reactions.subscribe((event) => summaries.push(event));
    // a moderator's view: every reaction as it is made (annotations over realtime, annotation_subscribe mode)
    const moderator = await signIn('moderator').rooms.get(ROOM, { messages: { rawMessageReactions: true } });
    const raw: MessageReactionRawEvent[] = [];
    moderator.messages.reactions.subscribeRaw((event) => raw.push(event));
    await moderator.attach();

    await bob.messages.reactions.send(target.serial, { name: '👍' });
    await alice.messages.reactions.send(target.serial, { name: '🎉', type: MessageReactionType.Multiple, count: 3 });
    const both = await until(
      () => summaries.find((s) => s.reactions.distinct['👍']?.total === 1 && s.reactions.multiple['🎉']?.total === 3),
      'summary with both reactions',
    );
    expect(both.messageSerial).toBe(target.serial);
    expect(both.reactions.distinct['👍']!.clientIds).toEqual(['bob']);
    expect(both.reactions.multiple['🎉']!.clientIds).toEqual({ alice: 3 });

    // the summary is on the message everywhere it is read
    const fetched = await alice.messages.get(target.serial);
    expect(fetched.reactions.distinct['👍']?.clientIds).toEqual(['bob']);
    const mine = await bob.messages.reactions.clientReactions(target.serial);
    expect(mine.distinct['👍']?.clientIds).toEqual(['bob']);
    expect(mine.multiple['🎉']).toBeUndefined();

    await bob.messages.reactions.delete(target.serial, { name: '👍' });
    await until(() => {
      const last = summaries.at(-1);
      return last && !last.reactions.distinct['👍'] && last.reactions.multiple['🎉']?.total === 3;
    }, 'summary without the removed reaction');
    expect((await bob.messages.get(target.serial)).reactions.distinct['👍']).toBeUndefined();

    await until(() => raw.length === 3, 'three raw reactions at the moderator');
    expect(raw.map((e) => [e.type, e.reaction.clientId, e.reaction.name, e.reaction.type, e.reaction.messageSerial, e.reaction.userClaim])).toEqual([
      ['reaction.create', 'bob', '👍', MessageReactionType.Distinct, target.serial, 'member:bob'],
      ['reaction.create', 'alice', '🎉', MessageReactionType.Multiple, target.serial, 'member:alice'],
      ['reaction.delete', 'bob', '👍', MessageReactionType.Distinct, target.serial, 'member:bob'],
    ]);

    // A modified client annotating over realtime cannot make another user's claim either: its JWT's replaces it.
    await clients[0]!.channels
      .get(CHANNEL)
      .annotations.publish(target.serial, { type: 'reaction:unique.v1', name: '🚩', extras: { userClaim: 'admin' } });
    await until(() => raw.length === 4, 'the realtime reaction at the moderator');
    expect([raw[3]!.reaction.name, raw[3]!.reaction.clientId, raw[3]!.reaction.userClaim]).toEqual(['🚩', 'alice', 'member:alice']);
    await moderator.detach();
  });

  it("a room reaction reaches the other user live, with its sender's claim", async () => {
    const got: RoomReactionEvent[] = [];
    bob.reactions.subscribe((event) => got.push(event));
    await alice.reactions.send({ name: '🎉', metadata: { big: true } });
    await until(() => got.length === 1, 'the room reaction at bob');
    const { reaction } = got[0]!;
    expect([reaction.name, reaction.clientId, reaction.metadata, reaction.userClaim, reaction.isSelf]).toEqual([
      '🎉',
      'alice',
      { big: true },
      'member:alice',
      false,
    ]);
  });

  it('typing is seen by the other user live, and neither typing nor room reactions land in any history', async () => {
    const typing: TypingSetEvent[] = [];
    bob.typing.subscribe((event) => typing.push(event));
    await alice.typing.keystroke();
    await until(() => typing.some((e) => e.currentlyTyping.has('alice')), 'alice typing at bob');
    expect(typing.find((e) => e.currentlyTyping.has('alice'))!.change.userClaim).toBe('member:alice');
    await alice.typing.stop();
    await until(() => typing.at(-1)?.currentlyTyping.size === 0, 'alice stopped typing at bob');

    const chatHistory = (await bob.messages.history({ limit: 100 })).items;
    expect(chatHistory).toHaveLength(5);
    // the room's channel, read as plain pub/sub history, holds the chat messages and nothing else
    const rest = new Ably.Rest(clientOptions(rowcast, { key: rowcast.keys.full }) as Ably.ClientOptions);
    const names = (await rest.channels.get(CHANNEL).history({ limit: 1000 })).items.map((m) => m.name);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => n !== 'chat.message')).toEqual([]);
  });

  it('after a restart of Rowcast on the same database, the room history is all there, edits, deletes and reactions included', async () => {
    for (const c of clients.splice(0)) c.close();
    const { dataDir, port } = rowcast;
    await rowcast.stop({ keepData: true });
    rowcast = await spawnRowcast(config(), { dataDir, port, env: { DATABASE_URL: db.url } });

    const dana = await joinRoom(signIn('dana'));
    const history = (await dana.messages.history({ orderBy: OrderBy.OldestFirst, limit: 100 })).items;
    expect(history.map(summary)).toEqual(expectedAfterEdits());
    expect(history[3]!.reactions.multiple['🎉']?.total).toBe(3);
    expect((await dana.messages.getVersions(sent[0]!.serial)).items).toHaveLength(2);

    // and the room carries on: a new message is sent after the old ones
    const next = await dana.messages.send({ text: 'back again' });
    expect(next.serial > sent[4]!.serial).toBe(true);
  });
});
