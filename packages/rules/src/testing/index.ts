export * from './helpers.js';
export * from './engine-harness.js';
