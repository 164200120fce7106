import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthenticatorApi, RealtimeNodeApi } from '@rowcast/core';
import type { Logger } from 'pino';
import type { ResponseStyle } from './respond.js';
import type { StatsDeps } from './routes/stats.js';

/** What the REST handler is built from. */
export interface RestDeps {
  node: RealtimeNodeApi;
  auth: AuthenticatorApi;
  logger: Logger;
  /** Stats storage for `GET /stats` (and fixtures for `POST /stats`); absent: 40400. */
  stats?: StatsDeps;
  /** Largest request body accepted, in bytes (default DEFAULT_MAX_BODY_BYTES). */
  maxBodyBytes?: number;
}

/** One request as a route sees it. */
export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Decoded path segments after the route prefix (e.g. the channel name). */
  params: string[];
  style: ResponseStyle;
  deps: RestDeps;
  /** Reads and parses the body (bounded, JSON or msgpack per content-type). */
  body(): Promise<unknown>;
}

/** A route: answers the request (sending a body or throwing ErrorInfo). */
export type RouteHandler = (r: RouteRequest) => Promise<void>;
