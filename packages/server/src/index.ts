export * from './config.js';
export * from './context.js';
export * from './keys.js';
export * from './start-server.js';
export { components, type ComponentStarter } from './components.js';
export { RouteTable } from './http-routes.js';
export { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres.js';
export { createLogger, progress, type LogFormat, type LogSettings } from './logger.js';
export type { HealthSummary } from './admin/status.js';
