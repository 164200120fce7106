import { resolve } from 'node:path';
import {
  loadConnectorConfig,
  nodePublisher,
  parseConnectorConfig,
  PostgresConnector,
  restPublisher,
  withChangeRoutes,
  type ConnectorConfig,
} from '@rowcast/connector-postgres';
import type { ServerContext, Stoppable } from './context.js';
import { progress } from './logger.js';

/**
 * Starts the PostgreSQL change stream when the config has a `connector` section. The section is either the
 * original connector's JSON form inline (`{ connector: [...], dbConfig?, ably?, slotName?, ... }`) or the path of
 * such a file (JSON or .env), relative to the config file. Without `dbConfig` it captures Rowcast's database;
 * without `ably.endpoint` it publishes in-process, so no key or network hop is involved.
 */
export async function start(ctx: ServerContext): Promise<Stoppable | undefined> {
  const section = ctx.config.connector;
  if (section === undefined || section === null) return undefined;
  const config = await readSection(section, ctx);
  const publisher = config.endpoint
    ? restPublisher({ endpoint: config.endpoint, apiKey: config.apiKey!, maxMessageSize: config.maxMessageSize })
    : nodePublisher(ctx.node);
  const logger = ctx.logger.child({ component: 'connector' });
  const captured = config.db.connectionString;
  const routes = captured ? (ctx.takeChangeRoutes?.(captured) ?? []) : [];
  const stream = withChangeRoutes(config, publisher, routes);
  const connector = new PostgresConnector(stream.config, stream.publisher, logger);
  await connector.start();
  ctx.operations.connector = connector;
  progress(ctx.logger, `change stream: ${describeMappings(config)}`);
  return { stop: () => connector.stop() };
}

/**
 * Whether the server must provide a database: yes unless the section names its own (`dbConfig` or `databaseUrl`);
 * a section given as a file path is read at start, so it is assumed to need one.
 */
export function needsDatabase(config: Record<string, unknown>): boolean {
  const section = config.connector;
  if (section === undefined || section === null) return false;
  if (typeof section !== 'object') return true;
  const s = section as { dbConfig?: Record<string, unknown>; databaseUrl?: unknown };
  const ownDb = s.databaseUrl || (s.dbConfig && Object.values(s.dbConfig).some((v) => v !== '' && v !== undefined && v !== null));
  return !ownDb;
}

async function readSection(section: unknown, ctx: ServerContext): Promise<ConnectorConfig> {
  if (typeof section === 'string') {
    const env = { ...process.env, ...(ctx.databaseUrl ? { DATABASE_URL: ctx.databaseUrl } : {}) };
    return loadConnectorConfig(resolve(ctx.configDir, section), env);
  }
  return parseConnectorConfig(section, { databaseUrl: ctx.databaseUrl }, 'section "connector"');
}

/** `chat_data -> incoming-chat` (operations listed when not all three go to the same channel). */
function describeMappings(config: ConnectorConfig): string {
  const byRoute = new Map<string, string[]>();
  for (const m of config.mappings) {
    const route = `${m.tablename} -> ${m.channel}`;
    byRoute.set(route, [...(byRoute.get(route) ?? []), m.operation]);
  }
  return [...byRoute].map(([route, ops]) => (ops.length === 3 ? route : `${route} (${ops.join(', ')})`)).join(', ');
}
