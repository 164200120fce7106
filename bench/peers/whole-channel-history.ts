import type { ChannelEvent, HistoryStore } from '@rowcast/core';

/**
 * A history page as Rowcast computed it before HistoryStore.page: every kept event of the channel, each message
 * given its sortable position, the time bounds applied, reversed for a backwards page, then the page cut out.
 * Kept as the peer the page read is measured against.
 */
export async function wholeChannelPage(store: HistoryStore, channel: string, limit: number): Promise<unknown[]> {
  const events: ChannelEvent[] = await store.events(channel);
  const all: Array<{ item: unknown; pos: string; timestamp: number }> = [];
  for (const e of events) {
    for (const [i, item] of (e.messages ?? []).entries())
      all.push({ item, pos: `${e.serial}:${String(i).padStart(4, '0')}`, timestamp: e.timestamp });
  }
  const candidates = all.filter((p) => p.timestamp >= 0).reverse();
  return candidates.slice(0, limit).map((p) => p.item);
}
