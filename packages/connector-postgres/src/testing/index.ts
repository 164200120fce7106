export * from './recording-publisher.js';
export * from './spawn-connector.js';
