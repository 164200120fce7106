import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join, relative, resolve } from 'node:path';
import type { Logger } from 'pino';
import { createAuthenticator, RealtimeNode, type ApiKey, type AuthenticatorApi } from '@rowcast/core';
import { createRestHandler } from '@rowcast/http-api';
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
  const auth = createAuthenticator({ keys, nonces: adapters.nonces, logger });
  const node = new RealtimeNode({ auth, logger, config: { serverId: `rowcast-${process.pid}`, ...config.realtime }, ...adapters.ports });
  await adapters.start(node);

  const routes = new RouteTable();
  const rest = createRestHandler({ node, auth, logger });
  const http = createServer((req, res) => void handleRequest(req, res));
  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (await rest(req, res, url)) return;
      if (await routes.handle(req, res, url)) return;
      sendError(res, new ErrorInfo(`No route for ${req.method} ${url.pathname}`, ErrorCode.NOT_FOUND, 404));
    } catch (err) {
      logger.error({ err, path: url.pathname }, 'request failed');
      if (!res.headersSent) sendError(res, ErrorInfo.from(err));
      else res.destroy();
    }
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
      const pg = await startEmbeddedPostgres({ dataDir: pgDir, port: await freePort() });
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
      baseUrl: url,
    };
    for (const component of componentList) {
      const started: Stoppable | undefined = await component.start(ctx);
      if (started) {
        stoppables.push({ name: component.name, stop: () => started.stop() });
        logger.debug(`${component.name} started`);
      }
    }
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

function sendError(res: ServerResponse, err: ErrorInfo): void {
  const body = JSON.stringify({ error: err.toJSON() });
  res.writeHead(err.statusCode, {
    'content-type': 'application/json',
    'x-ably-errorcode': String(err.code),
    'x-ably-errormessage': encodeURIComponent(err.message),
  });
  res.end(body);
}

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
