export * from './comet-transport.js';
