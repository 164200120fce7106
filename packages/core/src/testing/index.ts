export { fakeClock, type FakeClock } from './fake-clock.js';
export { runBrokerSuite, type BrokerNode, type BrokerSuiteOptions } from './broker-suite.js';
export { runHistoryStoreSuite, type HistoryStoreSuiteOptions } from './history-store-suite.js';
export { runPresenceStoreSuite, type PresenceStoreSuiteOptions } from './presence-store-suite.js';
export { runIdempotencyStoreSuite, type IdempotencyStoreSuiteOptions } from './idempotency-store-suite.js';
export { runConnectionStateStoreSuite, type ConnectionStateStoreSuiteOptions } from './connection-state-store-suite.js';
export { runNonceStoreSuite, type NonceStoreSuiteOptions } from './nonce-store-suite.js';
export { dropTransport } from './drop-transport.js';
export { runRevocationStoreSuite, type RevocationStoreSuiteOptions } from './revocation-store-suite.js';
