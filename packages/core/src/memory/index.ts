export * from './memory-broker.js';
export * from './memory-history-store.js';
export * from './memory-presence-store.js';
export * from './memory-idempotency-store.js';
export * from './memory-connection-state-store.js';
export * from './memory-message-store.js';
