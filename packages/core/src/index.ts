export * from './node-api.js';
export * from './auth/api.js';
export * from './auth/index.js';
