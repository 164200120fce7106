export { RedisKeys } from './keys.js';
export { RedisBroker, type RedisBrokerOptions } from './redis-broker.js';
export { RedisHistoryStore, type RedisHistoryOptions } from './redis-history-store.js';
export { RedisPresenceStore, type RedisPresenceOptions } from './redis-presence-store.js';
export { NodeLiveness, type NodeLivenessOptions } from './node-liveness.js';
export { leaveConnectionPresence, type PublishPresence } from './leave-connection.js';
export { createRedisEngine, type RedisEngine, type RedisEngineOptions } from './redis-engine.js';
export { RedisConnectionStateStore } from './redis-connection-state-store.js';
export { RedisNonceStore, type RedisNonceStoreOptions } from './redis-nonce-store.js';
