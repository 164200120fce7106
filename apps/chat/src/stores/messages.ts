import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import { MessageList } from '../lib/message-list.js';
import type { ChatRow, Reactions, RowChange } from '../lib/rows.js';

export const PAGE_SIZE = 50;

/**
 * The conversation as loaded: the newest page from the database on join, older pages on demand, and every
 * change from `incoming-chat` applied on top.
 */
export const useMessagesStore = defineStore('messages', () => {
  const list = reactive(new MessageList()) as MessageList;
  const loaded = ref(false);
  const loadingOlder = ref(false);
  const hasOlder = ref(false);
  const loadError = ref<string>();

  async function fetchPage(before?: number): Promise<ChatRow[]> {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (before !== undefined) query.set('before', String(before));
    const res = await fetch(`/api/messages?${query}`, { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`the server answered ${res.status}`);
    return ((await res.json()) as { messages: ChatRow[] }).messages;
  }

  /**
   * Reads the newest page. Called once the stream is attached (so nothing falls between the read and the
   * stream) and again whenever the stream had a gap (re-attached without resuming).
   */
  async function loadNewest(): Promise<void> {
    try {
      const firstLoad = !loaded.value;
      const page = await fetchPage();
      list.replaceNewest(page);
      if (firstLoad) hasOlder.value = page.length === PAGE_SIZE;
      loaded.value = true;
      loadError.value = undefined;
    } catch (err) {
      loadError.value = `Could not load messages: ${(err as Error).message}`;
    }
  }

  /** Reads the page before the oldest loaded message; returns how many were added. */
  async function loadOlder(): Promise<number> {
    if (loadingOlder.value || !hasOlder.value || list.oldestId === undefined) return 0;
    loadingOlder.value = true;
    try {
      const page = await fetchPage(list.oldestId);
      hasOlder.value = page.length === PAGE_SIZE;
      loadError.value = undefined;
      return list.addOlder(page);
    } catch (err) {
      loadError.value = `Could not load older messages: ${(err as Error).message}`;
      return 0;
    } finally {
      loadingOlder.value = false;
    }
  }

  function apply(change: RowChange): string {
    return list.apply(change);
  }

  function applyReactions(serial: string, reactions: Reactions): boolean {
    return list.applyReactions(serial, reactions);
  }

  return { list, loaded, loadingOlder, hasOlder, loadError, loadNewest, loadOlder, apply, applyReactions };
});
