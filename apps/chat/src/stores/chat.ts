import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import * as Ably from 'ably';
import { INCOMING, OUTGOING, clientOptions, linkStateOf, membersOf, type LinkState, type Member } from '../lib/realtime.js';
import { parseChatEvent, REACTION_TYPE } from '../lib/rows.js';
import { useMessagesStore } from './messages.js';

const NICKNAME_KEY = 'rowcast-chat-nickname';
export const MAX_NICKNAME = 50;
export const MAX_MESSAGE = 2000;

/** The user's session: nickname, the realtime connection, its state, presence, and the chat actions. */
export const useChatStore = defineStore('chat', () => {
  const messages = useMessagesStore();
  const nickname = ref(readNickname());
  const link = ref<LinkState>('connecting');
  const clientId = ref<string>();
  const members = ref<Member[]>([]);
  /** A lasting problem to show (a channel the server refused), not a passing disconnection. */
  const problem = ref<string>();
  const client = shallowRef<Ably.Realtime>();
  const canSend = computed(() => link.value === 'connected');

  let outgoing: Ably.RealtimeChannel | undefined;
  let incomingChannel: Ably.RealtimeChannel | undefined;
  let presenceRead = 0;

  /** Sets the nickname; the first time, connects, follows the stream and enters presence. */
  async function join(name: string): Promise<void> {
    nickname.value = name.trim().slice(0, MAX_NICKNAME);
    try {
      localStorage.setItem(NICKNAME_KEY, nickname.value);
    } catch {
      // private mode: the nickname just is not remembered
    }
    if (client.value) {
      await outgoing?.presence.update({ username: nickname.value });
      return;
    }
    connect();
  }

  function connect(): void {
    const realtime = new Ably.Realtime(clientOptions());
    client.value = realtime;
    let everConnected = false;
    const updateLink = () => {
      const state = realtime.connection.state;
      if (state === 'connected') {
        everConnected = true;
        clientId.value = realtime.auth.clientId ?? undefined;
      }
      link.value = navigator.onLine === false ? 'offline' : linkStateOf(state, everConnected);
    };
    realtime.connection.on(updateLink);
    window.addEventListener('online', updateLink);
    window.addEventListener('offline', updateLink);

    const incoming = realtime.channels.get(INCOMING);
    incomingChannel = incoming;
    // Attached without resuming (the first attach, or after a gap): read the newest page from the database.
    const onAttach = (change: Ably.ChannelStateChange) => {
      if (!change.resumed) void messages.loadNewest();
    };
    incoming.on('attached', onAttach);
    incoming.on('update', onAttach);
    incoming
      .subscribe((message) => {
        // each row is one message: created, edited in place and deleted under its serial; reactions are summaries
        const event = parseChatEvent(message);
        if (event?.kind === 'row') messages.apply(event.change);
        else if (event) messages.applyReactions(event.serial, event.reactions);
      })
      .catch((err: Ably.ErrorInfo) => (problem.value = `Cannot follow the conversation: ${err.message}`));

    // Presence only: the page does not need the raw messages of outgoing-chat, so it does not ask for them.
    outgoing = realtime.channels.get(OUTGOING, { modes: ['PUBLISH', 'PRESENCE', 'PRESENCE_SUBSCRIBE'] });
    outgoing.presence
      .subscribe(() => void refreshMembers())
      .catch((err: Ably.ErrorInfo) => (problem.value = `Cannot see who is online: ${err.message}`));
    outgoing.presence
      .enter({ username: nickname.value })
      .then(refreshMembers)
      .catch((err: Ably.ErrorInfo) => (problem.value = `Cannot join the chat: ${err.message}`));
  }

  /** Re-reads the SDK's presence set; a newer read wins over an older one that finishes late. */
  async function refreshMembers(): Promise<void> {
    if (!outgoing) return;
    const read = ++presenceRead;
    try {
      const set = await outgoing.presence.get();
      if (read === presenceRead) members.value = membersOf(set);
    } catch {
      // the channel is detaching or failed; the next presence event reads again
    }
  }

  async function send(content: string): Promise<void> {
    await channel().publish('chatMsg', { username: nickname.value, content });
  }

  async function edit(msgId: string, content: string): Promise<void> {
    await channel().publish('editedMsg', { username: nickname.value, content, msgIdToEdit: msgId });
  }

  async function remove(msgId: string): Promise<void> {
    await channel().publish('deletedMsg', { msgIdToDelete: msgId });
  }

  /** Adds the user's reaction `name` to the message with `serial`, or takes it back when `mine`. */
  async function react(serial: string, name: string, mine: boolean): Promise<void> {
    if (!incomingChannel) throw new Error('not connected');
    if (mine) await incomingChannel.annotations.delete(serial, { type: REACTION_TYPE, name });
    else await incomingChannel.annotations.publish(serial, { type: REACTION_TYPE, name });
  }

  function channel(): Ably.RealtimeChannel {
    if (!outgoing) throw new Error('not connected');
    return outgoing;
  }

  return { nickname, link, clientId, members, problem, canSend, join, send, edit, remove, react };
});

function readNickname(): string {
  try {
    return localStorage.getItem(NICKNAME_KEY) ?? '';
  } catch {
    return '';
  }
}
