import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join, relative, resolve } from 'node:path';
import type { Logger } from 'pino';
import { createAuthenticator, MemoryStatsStore, RealtimeNode, type ApiKey, type AuthenticatorApi } from '@rowcast/core';
import { createRestHandler, sendError, type ResponseStyle, type StatsDeps } from '@rowcast/http-api';
import { attachWebSocketTransport } from '@rowcast/transport-ws';
import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import type { RowcastConfig } from './config.js';
import { components as defaultComponents, type ComponentStarter } from './components.js';
import type { ServerContext, Stoppable } from './context.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { createEngineAdapters } from './engine-adapters.js';
import { RouteTable } from './http-routes.js';
import { resolveKeys } from './keys.js';
import { createLogger, progress } from './logger.js';
import { RestRequestCounts } from './stats/rest-requests.js';
import { addMetricsRoute } from './metrics/metrics-route.js';
import { addAdminApi } from './admin/admin-api.js';
import { addAdminPage } from './admin/admin-page.js';
import { ChangeStreamSamples } from './admin/changestream-samples.js';
import type { Operations } from './operations.js';
import { startStats } from './stats/start-stats.js';

/** Answers outside the REST API (no route, an app route that threw) are plain JSON Ably errors. */
const JSON_STYLE: ResponseStyle = { format: 'json', envelope: false };

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
 * Composes one Rowcast server on one HTTP port: the REST API first, then component routes (apps, static files),
 * then the WebSocket upgrade for the realtime protocol; then starts the components in order.
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
  const adapters = await createEngineAdapters(config, logger);
  const auth = createAuthenticator({ keys, nonces: adapters.nonces, revocations: adapters.revocations, logger });
  // Revocations already in force must be known before any token is accepted.
  await auth.ready?.();
  const node = new RealtimeNode({ auth, logger, config: { serverId: `rowcast-${process.pid}`, ...config.realtime }, ...adapters.ports });
  await adapters.start(node);

  const routes = new RouteTable();
  const operations: Operations = { redis: adapters.redisHealth };
  const stats: StatsDeps = { store: adapters.statsStore ?? new MemoryStatsStore(DAY_MS), fixtures: config.stats.fixtures };
  const restCounts = new RestRequestCounts(node.counters);
  const rest = createRestHandler({ node, auth, logger, stats });
  const http = createServer((req, res) => void handleRequest(req, res));
  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (await rest(req, res, url)) {
        if (req.method !== 'OPTIONS') restCounts.record(url.pathname, res.statusCode);
        return;
      }
      if (await routes.handle(req, res, url)) return;
      sendError(res, JSON_STYLE, new ErrorInfo(`No route for ${req.method} ${url.pathname}`, ErrorCode.NOT_FOUND, 404));
    } catch (err) {
      logger.error({ err, path: url.pathname }, 'request failed');
      if (!res.headersSent) sendError(res, JSON_STYLE, ErrorInfo.from(err));
      else res.destroy();
    }
  }
  addMetricsRoute(routes, config.metrics, config.admin.key, { node, restCounts, operations });
  // The admin page and its API exist only with an admin key: without one there is nothing to sign in with.
  const samples = config.admin.key ? new ChangeStreamSamples(operations) : undefined;
  if (config.admin.key && samples) {
    addAdminApi(routes, {
      node,
      operations,
      stats,
      samples,
      nodeId: adapters.ports.nodeId ?? 'local',
      startedAt: Date.now(),
      adminKey: config.admin.key,
      appId: keys[0]?.name.split('.')[0] ?? 'rowcast',
    });
    await addAdminPage(routes, logger);
  }
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

  const componentList = opts.components ?? defaultComponents;
  const raw = config as Record<string, unknown>;
  let databaseUrl = config.database?.url;
  try {
    if (!databaseUrl && componentList.some((c) => c.needsDatabase(raw))) {
      const pgDir = join(dataDir, 'pg');
      logger.info(`starting embedded PostgreSQL in ${pgDir}`);
      const pg = await startEmbeddedPostgres({ dataDir: pgDir, port: await freePort(), onNotice: (m) => logger.warn(m) });
      stoppables.push({ name: 'embedded PostgreSQL', stop: () => pg.stop() });
      databaseUrl = pg.url;
      progress(logger, `PostgreSQL (embedded, ${shortPath(pgDir)}) ready on port ${pg.port}`);
    } else if (databaseUrl && componentList.some((c) => c.needsDatabase(raw))) {
      progress(logger, `PostgreSQL (${redactDatabaseUrl(databaseUrl)})`);
    }
    // Lambda-style rule functions read their database from the environment, as on AWS.
    if (databaseUrl && !process.env.DATABASE_URL) process.env.DATABASE_URL = databaseUrl;

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
    };
    for (const component of componentList) {
      const started: Stoppable | undefined = await component.start(ctx);
      if (started) {
        stoppables.push({ name: component.name, stop: () => started.stop() });
        logger.debug(`${component.name} started`);
      }
    }
    const statsRecorder = await startStats({
      config: config.stats,
      node,
      nodeId: adapters.ports.nodeId ?? 'local',
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
    await transport.close();
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

/** A path as a person would type it from here: relative when under the working directory. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** host:port/database of a connection URL, without user or password. */
function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createNetServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => ok(port));
    });
  });
}
