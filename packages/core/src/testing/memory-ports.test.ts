import { MemoryNonceStore } from '../auth/memory-nonce-store.js';
import {
  MemoryBroker,
  MemoryConnectionStateStore,
  MemoryHistoryStore,
  MemoryIdempotencyStore,
  MemoryMessageStore,
  MemoryPresenceStore,
} from '../memory/index.js';
import { systemClock } from '../ports/clock.js';
import {
  runBrokerSuite,
  runConnectionStateStoreSuite,
  runHistoryStoreSuite,
  runIdempotencyStoreSuite,
  runMessageStoreSuite,
  runNonceStoreSuite,
  runPresenceStoreSuite,
} from './index.js';

runHistoryStoreSuite('memory', { newStore: ({ retention, clock }) => new MemoryHistoryStore(retention, clock) });

runPresenceStoreSuite('memory', { newStore: () => new MemoryPresenceStore() });

runBrokerSuite('memory', {
  dedupesExplicitIds: false,
  async newBackend(clock) {
    let made = false;
    return {
      maxNodes: 1,
      async node() {
        if (made) throw new Error('the memory broker is single-node');
        made = true;
        const history = new MemoryHistoryStore({ ttlMs: 120_000, maxEventsPerChannel: 10_000 }, clock);
        return { broker: new MemoryBroker(history, clock), history };
      },
      async close() {},
    };
  },
});

runIdempotencyStoreSuite('memory', { shared: false, newStore: ({ windowMs, clock }) => new MemoryIdempotencyStore(windowMs, clock) });

runConnectionStateStoreSuite('memory', { shared: false, realTimeExpiry: false, newStore: ({ clock }) => new MemoryConnectionStateStore(clock) });

runNonceStoreSuite('memory', { shared: false, newStore: ({ clock }) => new MemoryNonceStore(clock) });

runMessageStoreSuite('memory', { newStore: () => new MemoryMessageStore({ ttlMs: 120_000, maxEventsPerChannel: 10_000 }, systemClock()) });
