import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AuthenticatorApi, RealtimeNodeApi } from '@rowcast/core';
import type { ChangeRoute } from '@rowcast/connector-postgres';
import type { Operations } from './operations.js';

/**
 * What the composition root hands to each component it starts (change stream, rules, apps). Each component
 * lives in its own `start-<component>.ts` file here, takes this context and returns something to stop.
 */
export interface ServerContext {
  /** The validated configuration; each component reads its own section. */
  config: Record<string, unknown>;
  /** Directory the config file sits in: relative paths in the config (modules, migrations) resolve against it. */
  configDir: string;
  /** Rowcast's data directory (`.rowcast/` by default): generated key, embedded PostgreSQL data. */
  dataDir: string;
  node: RealtimeNodeApi;
  auth: AuthenticatorApi;
  logger: Logger;
  /** Connection string of the database (DATABASE_URL, config `database.url`, or the embedded one); absent when none. */
  databaseUrl?: string;
  /** Routes for HTTP requests not handled by the REST API: apps' endpoints and static files. */
  http: HttpRoutes;
  /** Handles of the running components for the operator views (a component adds its own when it starts). */
  operations: Operations;
  /** The server's own base URL, e.g. http://127.0.0.1:8080, for components that talk to it over the network. */
  baseUrl: string;
  /**
   * Changes other parts of Rowcast consume from the database a change stream captures (the URL it connects
   * with), for that stream to carry on its slot: one slot, one decode of the WAL, per database.
   */
  takeChangeRoutes?: (databaseUrl: string) => ChangeRoute[];
}

/** A request handler; return false to let the next route try. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface HttpRoutes {
  /** Handles `method` requests whose path equals `path`, or starts with it when it ends with `/`. */
  add(method: string, path: string, handler: HttpHandler): void;
  /** Serves files of `dir` under `prefix` (index.html for directories, SPA fallback when `spa` is set). */
  static(prefix: string, dir: string, opts?: { spa?: boolean }): void;
}

/** Something a component started and the server stops on shutdown, in reverse start order. */
export interface Stoppable {
  stop(): Promise<void>;
}
