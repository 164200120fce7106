import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { createAuthenticator, DEFAULT_ENGINE_CONFIG, MemoryStatsStore, RealtimeNode, type ApiKey, type AuthenticatorApi } from '@rowcast/core';
import { createRestHandler, type StatsDeps } from '@rowcast/http-api';
import { attachWebSocketTransport } from '@rowcast/transport-ws';
import { createCometTransport } from '@rowcast/transport-comet';
import { ChatRooms, mutableMessageChannels } from './chat-rooms.js';
import type { RowcastConfig } from './config.js';
import { components as defaultComponents, type ComponentStarter } from './components.js';
import { provideDatabase, shortPath } from './component-database.js';
import type { ServerContext, Stoppable } from './context.js';
import { createEngineAdapters } from './engine-adapters.js';
import { RouteTable } from './http-routes.js';
import { resolveKeys } from './keys.js';
import { createLogger, progress } from './logger.js';
import type { Operations } from './operations.js';
import { addOperationsRoutes } from './operations-routes.js';
import { createRequestHandler } from './request-handler.js';
import { RestRequestCounts } from './stats/rest-requests.js';
import { startStats } from './stats/start-stats.js';

export interface StartServerOptions {
  /** Directory relative config paths resolve against (default: the working directory). */
  configDir?: string;
  /** Logger to use (default: the config's `log` level and format, see logger.ts). */
  logger?: Logger;
  /** Components to start (default: all of components.ts). Tests may pass a subset. */
  components?: ComponentStarter[];
}

/** A running Rowcast server. */
export interface RunningServer {
  port: number;
  /** Base URL for clients on this machine, e.g. http://127.0.0.1:8080 */
  url: string;
  node: RealtimeNode;
  auth: AuthenticatorApi;
  /** The keys in use (configured or generated). */
  keys: ApiKey[];
  /** The database components use, if one was needed. */
  databaseUrl?: string;
  /** Graceful stop: clients get DISCONNECTED, components stop in reverse order, then HTTP and the database. */
  close(): Promise<void>;
}

/**
 * Composes one Rowcast server on one HTTP port: the Comet transport (/comet/) and the REST API first, then
 * component routes (apps, static files), then WebSocket upgrades for the realtime protocol; then starts the
 * components in order.
 */
export async function startServer(config: RowcastConfig, opts: StartServerOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(config.log);
  const configDir = opts.configDir ?? process.cwd();
  const dataDir = resolve(configDir, config.dataDir);
  const stoppables: Array<{ name: string; stop(): Promise<void> }> = [];

  const { keys, generated } = resolveKeys(config.keys as ApiKey[], dataDir);
  if (generated) {
    const file = join(dataDir, 'keys.json');
    progress(logger, `keys: using the generated full-rights key ${generated.name}:${generated.secret} (kept in ${shortPath(file)})`, {
      key: `${generated.name}:${generated.secret}`,
      file,
    });
  } else {
    progress(logger, `keys: ${keys.map((k) => k.name).join(', ')}`);
  }
  const componentList = opts.components ?? defaultComponents;
  const raw = config as Record<string, unknown>;
  const needsDatabase = componentList.some((c) => c.needsDatabase(raw));
  const adapters = await createEngineAdapters(config, logger);
  const auth = createAuthenticator({ keys, nonces: adapters.nonces, revocations: adapters.revocations, logger });
  // Revocations already in force must be known before any token is accepted.
  await auth.ready?.();
  // Chat rooms live in PostgreSQL whenever Rowcast has a database (configured, or embedded for a component).
  const chatRooms = new ChatRooms({
    withDatabase: needsDatabase || Boolean(config.database?.url),
    realtime: { ...DEFAULT_ENGINE_CONFIG, ...config.realtime },
    fallback: adapters.ports.messageStores,
    durableChannels: mutableMessageChannels(raw),
  });
  const node = new RealtimeNode({
    auth,
    logger,
    config: { serverId: `rowcast-${process.pid}`, ...config.realtime },
    ...adapters.ports,
    messageStores: chatRooms.resolver,
  });
  await adapters.start(node);

  const routes = new RouteTable();
  const operations: Operations = { redis: adapters.redisHealth };
  const stats: StatsDeps = { store: adapters.statsStore ?? new MemoryStatsStore(DAY_MS), fixtures: config.stats.fixtures };
  const restCounts = new RestRequestCounts(node.counters);
  const rest = createRestHandler({ node, auth, logger, stats });
  // Comet, the SDK's fallback when WebSockets are blocked; it holds and drops transports on the same clock as pings.
  const comet = createCometTransport(node, {
    maxFrameSize: node.config.maxFrameSize,
    pollTimeoutMs: node.config.maxIdleIntervalMs,
    idleTimeoutMs: node.config.maxIdleIntervalMs,
    logger,
  });
  const handleRequest = createRequestHandler({ comet, rest, routes, restCounts, logger });
  const http = createServer((req, res) => void handleRequest(req, res));
  const nodeId = adapters.ports.nodeId ?? 'local';
  const samples = await addOperationsRoutes(routes, { config, node, keys, operations, stats, restCounts, nodeId, logger });
  const transport = attachWebSocketTransport(http, node, {
    maxFrameSize: node.config.maxFrameSize,
    pingIntervalMs: node.config.maxIdleIntervalMs,
    logger,
  });

  await new Promise<void>((ok, fail) => {
    http.once('error', fail);
    http.listen(config.port, config.host, () => ok());
  });
  const port = (http.address() as AddressInfo).port;
  const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`;
  progress(logger, `realtime and REST listening on port ${port}`);

  let databaseUrl = config.database?.url;
  try {
    const database = await provideDatabase({
      configured: databaseUrl,
      needed: needsDatabase,
      dataDir,
      logger,
    });
    databaseUrl = database.url;
    if (database.stop) stoppables.push({ name: 'embedded PostgreSQL', stop: database.stop });
    await chatRooms.connect(databaseUrl, node, logger);

    const ctx: ServerContext = {
      config: { ...raw, keys },
      configDir,
      dataDir,
      node,
      auth,
      logger,
      databaseUrl,
      http: routes,
      operations,
      baseUrl: url,
      takeChangeRoutes: (captured) => chatRooms.takeChangeRoutes(captured),
    };
    for (const component of componentList) {
      const started: Stoppable | undefined = await component.start(ctx);
      if (started) {
        stoppables.push({ name: component.name, stop: () => started.stop() });
        logger.debug(`${component.name} started`);
      }
    }
    await chatRooms.followChanges(logger);
    stoppables.push({ name: 'chat rooms', stop: () => chatRooms.stopChanges() });
    const statsRecorder = await startStats({
      config: config.stats,
      node,
      nodeId,
      deps: stats,
      databaseUrl,
      logger,
    });
    stoppables.push({ name: 'stats', stop: () => statsRecorder.stop() });
  } catch (err) {
    await shutdown();
    throw err;
  }
  progress(logger, `Rowcast is ready at ${url}`);

  let closing: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    logger.info(`shutting down: disconnecting ${node.connectionCount} connection(s)`);
    node.disconnectAll();
    for (const s of [...stoppables].reverse()) {
      if (s.name === 'embedded PostgreSQL') continue;
      try {
        await s.stop();
        progress(logger, `${s.name} stopped`);
      } catch (err) {
        logger.error({ err }, `stopping ${s.name} failed`);
      }
    }
    samples?.stop();
    await node.close();
    await chatRooms.close().catch((err) => logger.error({ err }, 'closing the chat rooms store failed'));
    await Promise.all([transport.close(), comet.close()]);
    http.closeAllConnections();
    await new Promise<void>((ok) => http.close(() => ok()));
    await adapters.close().catch((err) => logger.error({ err }, 'closing the engine adapters failed'));
    const pg = stoppables.find((s) => s.name === 'embedded PostgreSQL');
    if (pg) await pg.stop().catch((err) => logger.error({ err }, 'stopping embedded PostgreSQL failed'));
    progress(logger, 'Rowcast stopped');
  }

  return {
    port,
    url,
    node,
    auth,
    keys,
    databaseUrl,
    close: () => (closing ??= shutdown()),
  };
}

/** How long a single node keeps its stats in memory (without a database they are lost on restart anyway). */
const DAY_MS = 24 * 3600_000;
