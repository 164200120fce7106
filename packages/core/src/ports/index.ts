export * from './clock.js';
export * from './logger.js';
export * from './events.js';
export * from './broker.js';
export * from './history-store.js';
export * from './presence-store.js';
export * from './idempotency-store.js';
export * from './connection-state-store.js';
