import type { Logger } from 'pino';
import type pg from 'pg';
import type { AuthenticatorApi } from '@rowcast/core';
import type { HttpRoutes, Stoppable } from '../context.js';

/**
 * What an app's routes module receives in `register(app)`: the same powers any app on Rowcast gets, no more.
 * The chat's `/auth/token` and `/api/messages` are built only from these.
 */
export interface AppContext {
  name: string;
  /** Add the app's endpoints here. Static files are registered after `register` returns, so routes win. */
  http: HttpRoutes;
  /** Signs TokenRequests (`auth.createTokenRequest(app.keyName, ...)`) for browser clients. */
  auth: AuthenticatorApi;
  /** The API key name the app signs with. */
  keyName: string;
  /** A pool on the server's database; absent when Rowcast runs without one. */
  db?: pg.Pool;
  logger: Logger;
  /** The app's `settings` from the config file. */
  settings: Record<string, unknown>;
  /** A directory of the app's own under Rowcast's data directory (created), for secrets and state. */
  dataDir: string;
  /** The server's base URL, e.g. http://127.0.0.1:8080. */
  baseUrl: string;
}

/** The shape of an app's routes module. `register` may return something to stop on shutdown. */
export interface AppRoutesModule {
  // biome-ignore lint/suspicious/noConfusingVoidType: an app's register() may return nothing, or something to stop
  register(app: AppContext): void | Stoppable | Promise<void | Stoppable>;
}
