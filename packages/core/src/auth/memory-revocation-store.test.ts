import { runRevocationStoreSuite } from '../testing/revocation-store-suite.js';
import { MemoryRevocationStore } from './memory-revocation-store.js';

runRevocationStoreSuite('memory', { shared: false, newStore: () => new MemoryRevocationStore() });
