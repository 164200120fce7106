export * from './config.js';
export * from './config-load.js';
export * from './connector.js';
export * from './publisher.js';
export { nodePublisher } from './publisher-node.js';
export { restPublisher, endpointOptions } from './publisher-rest.js';
export { ConnectorSetupError, type CapturedTable } from './setup.js';
export { parseLsn, formatLsn } from './lsn.js';
