export * from './actions.js';
export * from './errors.js';
export * from './types.js';
export * from './codec.js';
export * from './payload-shape.js';
export * from './mutable.js';
