import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sendError, type ResponseStyle } from '@rowcast/http-api';
import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import type { RouteTable } from './http-routes.js';
import type { RestRequestCounts } from './stats/rest-requests.js';

/** Answers outside the REST API (no route, an app route that threw) are plain JSON Ably errors. */
const JSON_STYLE: ResponseStyle = { format: 'json', envelope: false };

/** Handles a REST request; true when it answered (createRestHandler's contract). */
type RestHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

/**
 * The HTTP request handler of the server's one port: the Comet transport's /comet/ paths, the REST API (counted for the stats), then the
 * components' routes (apps, static files, admin, metrics), else 404 40400. A route that throws is logged and
 * answered with its Ably error (50000 when it is not one), never left hanging.
 */
export function createRequestHandler(deps: {
  comet: { handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean };
  rest: RestHandler;
  routes: RouteTable;
  restCounts: RestRequestCounts;
  logger: Logger;
}) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (deps.comet.handle(req, res, url)) return;
      if (await deps.rest(req, res, url)) {
        if (req.method !== 'OPTIONS') deps.restCounts.record(url.pathname, res.statusCode);
        return;
      }
      if (await deps.routes.handle(req, res, url)) return;
      sendError(res, JSON_STYLE, new ErrorInfo(`No route for ${req.method} ${url.pathname}`, ErrorCode.NOT_FOUND, 404));
    } catch (err) {
      deps.logger.error({ err, path: url.pathname }, 'request failed');
      if (!res.headersSent) sendError(res, JSON_STYLE, ErrorInfo.from(err));
      else res.destroy();
    }
  };
}
