import type { RealtimeNodeApi } from '@rowcast/core';
import type { Message } from '@rowcast/protocol';
import type { Publisher, RowMessage } from './publisher.js';

/** Publishes into the engine of the same process (`rowcast start` with a `connector` section). */
export function nodePublisher(node: RealtimeNodeApi): Publisher {
  return {
    get maxMessageSize() {
      return node.maxMessageSize;
    },
    // The engine checks each message against maxMessageSize, not the sum: a whole transaction fits one call.
    maxBatchBytes: Number.MAX_SAFE_INTEGER,
    async publish(channel, batch) {
      // The engine's bulk path: the change stream is Rowcast itself (no connectionId or clientId), and its
      // batch goes in as it is, checked and recorded for idempotency once.
      await node.publishBatch(channel, batch);
    },
    // Transactions that queued up for a channel while the one before was published go in as one engine event
    // (each keeps its ids and idempotency record): one sequencing, history append and fan-out frame for them all,
    // where one-row transactions otherwise pay those per row (write-path bench).
    maxSeries: SERIES_LIMITS,
    async publishSeries(channel, batches) {
      try {
        await node.publishBatches(channel, batches);
        return batches.length;
      } catch (err) {
        // one refused batch refuses the series: publish the first alone, so its own outcome decides
        if (batches.length === 1) throw err;
        await node.publishBatch(channel, batches[0]);
        return 1;
      }
    },
    // Rowcast itself changes the rows' messages: a trusted origin (no capability), so any message may change.
    mutable: {
      async create(channel, message) {
        const { serials } = await node.publish(channel, [asJson(message)], {});
        return serials[0] ?? null;
      },
      async update(channel, serial, message) {
        await node.updateMessage(channel, { ...asJson(message), id: undefined, serial }, undefined, {});
      },
      async delete(channel, serial, message) {
        await node.deleteMessage(channel, { ...asJson(message), id: undefined, serial }, undefined, {});
      },
      async findSerial(channel, id) {
        let cursor: string | undefined;
        for (let pages = 0; pages < FIND_SERIAL_PAGES; pages++) {
          const page = await node.history(channel, { limit: 1000, cursor });
          const found = page.items.find((m) => m.id === id);
          if (found) return found.serial;
          if (!page.next) return undefined;
          cursor = page.next;
        }
        return undefined;
      },
    },
    async close() {},
  };
}

/**
 * Bounds of one series: a fan-out frame carries the whole event, so it stays a frame a subscriber takes in
 * stride (the per-message limit still applies to each row).
 */
const SERIES_LIMITS = { count: 100, bytes: 256 * 1024 };

/** How far back a re-sent create's original is looked for: its crash window is seconds, not thousands of messages. */
const FIND_SERIAL_PAGES = 5;

/** The row's JSON text with `encoding: json`, so subscribers receive an object. */
function asJson(message: RowMessage): Message {
  return { id: message.id, name: message.name, data: message.data, encoding: 'json' };
}
