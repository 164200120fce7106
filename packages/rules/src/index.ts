export * from './config.js';
export * from './envelope.js';
export { RulesEngine, type RulesEngineOptions } from './rules-engine.js';
export type { RuleStats } from './counters.js';
export type { DeadLetter, DeadLetterFilter, DeliveryQueue, NewDelivery, QueuedDelivery, Lane } from './queue/delivery-queue.js';
export { MemoryDeliveryQueue } from './queue/memory-queue.js';
export { PostgresDeliveryQueue } from './queue/postgres-queue.js';
export { signBody, type SigningKey } from './targets/http-target.js';
