import { defineStore } from 'pinia';
import { ref } from 'vue';
import {
  adminFetch,
  AdminApiError,
  type ChangeStreamView,
  type ChannelRow,
  type ChannelView,
  type ConnectionRow,
  type RulesView,
  type StatsRecord,
  type Status,
} from '../lib/api';

const KEY_STORAGE = 'rowcast-admin-key';
const POLL_MS = 1000;

/**
 * The admin page's state: the admin key (kept for this browser tab only) and the views, refreshed once a
 * second from the admin API while signed in.
 */
export const useAdminStore = defineStore('admin', () => {
  const key = ref<string | null>(sessionStorage.getItem(KEY_STORAGE));
  const signInError = ref<string | null>(null);
  const lastError = ref<string | null>(null);
  const status = ref<Status | null>(null);
  const channels = ref<ChannelRow[]>([]);
  const selected = ref<string | null>(null);
  const channel = ref<ChannelView | null>(null);
  const connections = ref<ConnectionRow[]>([]);
  const changeStream = ref<ChangeStreamView | null>(null);
  const rules = ref<RulesView | null>(null);
  const stats = ref<StatsRecord[]>([]);
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function signIn(candidate: string): Promise<void> {
    signInError.value = null;
    try {
      status.value = await adminFetch<Status>(candidate, 'status');
    } catch (err) {
      signInError.value = err instanceof AdminApiError && err.status < 500 ? 'That admin key was refused.' : String((err as Error).message);
      return;
    }
    key.value = candidate;
    sessionStorage.setItem(KEY_STORAGE, candidate);
    start();
  }

  function signOut(): void {
    stop();
    key.value = null;
    sessionStorage.removeItem(KEY_STORAGE);
  }

  async function refresh(): Promise<void> {
    const k = key.value;
    if (!k) return;
    try {
      const [s, ch, conns, cs, r, st] = await Promise.all([
        adminFetch<Status>(k, 'status'),
        adminFetch<ChannelRow[]>(k, 'channels'),
        adminFetch<ConnectionRow[]>(k, 'connections'),
        adminFetch<ChangeStreamView>(k, 'changestream'),
        adminFetch<RulesView>(k, 'rules'),
        adminFetch<StatsRecord[]>(k, 'stats?unit=minute&limit=30'),
      ]);
      status.value = s;
      channels.value = ch;
      connections.value = conns;
      changeStream.value = cs;
      rules.value = r;
      stats.value = st;
      channel.value = selected.value ? await adminFetch<ChannelView>(k, `channels/${encodeURIComponent(selected.value)}`) : null;
      lastError.value = null;
    } catch (err) {
      if (err instanceof AdminApiError && (err.status === 401 || err.status === 403)) return signOut();
      lastError.value = (err as Error).message;
    }
  }

  function start(): void {
    stop();
    const loop = async () => {
      await refresh();
      if (key.value) timer = setTimeout(loop, POLL_MS);
    };
    void loop();
  }

  function stop(): void {
    clearTimeout(timer);
  }

  async function inspect(name: string | null): Promise<void> {
    selected.value = name;
    channel.value = null;
    await refresh();
  }

  async function requeue(filter: { deliveryIds?: string[]; ruleId?: string }): Promise<number> {
    const result = await adminFetch<{ requeued: number }>(key.value!, 'rules/requeue', { method: 'POST', body: filter });
    await refresh();
    return result.requeued;
  }

  if (key.value) start();

  return {
    key,
    signInError,
    lastError,
    status,
    channels,
    selected,
    channel,
    connections,
    changeStream,
    rules,
    stats,
    signIn,
    signOut,
    inspect,
    requeue,
  };
});
