import type { RealtimeNodeApi } from '@rowcast/core';
import type { Publisher } from './publisher.js';

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
    async close() {},
  };
}
