export * from './interval.js';
export * from './stats-store.js';
export * from './memory-stats-store.js';
export * from './entries.js';
export * from './stats-query.js';
export * from './stats-recorder.js';
