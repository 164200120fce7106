export * from './node-api.js';
export * from './auth/api.js';
