import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import { DEFAULT_MAX_BODY_BYTES, readBody } from './read-body.js';
import { sendError, sendPreflight, setCorsHeaders, type ResponseStyle } from './respond.js';
import type { RestDeps, RouteHandler, RouteRequest } from './route.js';
import { batchPublish } from './routes/batch-publish.js';
import { channelList } from './routes/channel-list.js';
import { channelStatus } from './routes/channel-status.js';
import { CHAT_ROUTES } from './routes/chat-routes.js';
import { messageHistory, presenceHistory } from './routes/history.js';
import { changeMessage, getMessage, listAnnotations, messageVersions, publishAnnotations } from './routes/message-changes.js';
import { batchPresence, presenceMembers } from './routes/presence.js';
import { publishToChannel } from './routes/publish.js';
import { requestToken } from './routes/request-token.js';
import { revokeTokens } from './routes/revoke-tokens.js';
import { getTime } from './routes/time.js';
import { getStats, postStatsFixtures } from './routes/stats.js';
import { decodeBody, requestFormat, responseFormat } from './wire-format.js';

/** A route: method, path pattern (`*` = one decoded segment, handed to the route in order) and handler. */
interface Route {
  method: string;
  pattern: string[];
  handler: RouteHandler;
}

const ROUTES: Route[] = [
  { method: 'GET', pattern: ['time'], handler: getTime },
  { method: 'POST', pattern: ['keys', '*', 'requestToken'], handler: requestToken },
  { method: 'POST', pattern: ['keys', '*', 'revokeTokens'], handler: revokeTokens },
  { method: 'POST', pattern: ['channels', '*', 'messages'], handler: publishToChannel },
  { method: 'GET', pattern: ['channels', '*', 'messages'], handler: messageHistory },
  { method: 'GET', pattern: ['channels', '*', 'messages', '*'], handler: getMessage },
  { method: 'PATCH', pattern: ['channels', '*', 'messages', '*'], handler: changeMessage },
  { method: 'GET', pattern: ['channels', '*', 'messages', '*', 'versions'], handler: messageVersions },
  { method: 'POST', pattern: ['channels', '*', 'messages', '*', 'annotations'], handler: publishAnnotations },
  { method: 'GET', pattern: ['channels', '*', 'messages', '*', 'annotations'], handler: listAnnotations },
  { method: 'GET', pattern: ['channels', '*', 'presence'], handler: presenceMembers },
  { method: 'GET', pattern: ['channels', '*', 'presence', 'history'], handler: presenceHistory },
  { method: 'GET', pattern: ['channels'], handler: channelList },
  { method: 'GET', pattern: ['channels', '*'], handler: channelStatus },
  { method: 'POST', pattern: ['messages'], handler: batchPublish },
  { method: 'GET', pattern: ['presence'], handler: batchPresence },
  { method: 'GET', pattern: ['stats'], handler: getStats },
  { method: 'POST', pattern: ['stats'], handler: postStatsFixtures },
  ...CHAT_ROUTES,
];

/** First path segments that belong to Ably's REST API: anything under them is answered here (40400 if unknown). */
const OWNED_ROOTS = new Set(['time', 'keys', 'channels', 'messages', 'presence', 'stats', 'push']);

/** Ably's Chat REST API (`/chat/v<n>/...`); the rest of `/chat` stays free for apps (a SPA's routes). */
const CHAT_API = /^\/chat\/v\d+\//;

function splitPath(pathname: string): string[] | undefined {
  try {
    return pathname
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function match(route: Route, segments: string[]): string[] | undefined {
  if (route.pattern.length !== segments.length) return undefined;
  const params: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    if (route.pattern[i] === '*') params.push(segments[i]!);
    else if (route.pattern[i] !== segments[i]) return undefined;
  }
  return params;
}

/**
 * Creates the handler for Ably's REST API paths (`/time`, `/keys/{key}/requestToken`, `/channels/...`,
 * `/messages`, `/presence`). Returns false for paths it does not own, so the server can route apps and static
 * files after it. Errors are Ably ErrorInfo bodies in the caller's format, with CORS on every answer.
 */
export function createRestHandler(deps: RestDeps): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> {
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (req, res, url) => {
    const rawRoot = url.pathname.split('/')[1] ?? '';
    if (!OWNED_ROOTS.has(rawRoot) && !CHAT_API.test(url.pathname)) return false;
    const segments = splitPath(url.pathname);
    const style: ResponseStyle = {
      format: responseFormat(req, url),
      envelope: url.searchParams.has('envelope'),
    };
    // The envelope names the format the SDK will decode the wrapper with.
    const envelope = url.searchParams.get('envelope');
    if (envelope === 'msgpack' || envelope === 'json') style.format = envelope;
    if (req.method === 'OPTIONS') {
      sendPreflight(req, res);
      return true;
    }
    setCorsHeaders(req, res);
    let bodyRead = false;
    try {
      if (!segments) throw new ErrorInfo('Malformed percent-encoding in the path', ErrorCode.BAD_REQUEST, 400);
      // A known path with another method is, for Ably, just as unknown: 404 40400 (the SDK's `request` relies on it).
      const found = ROUTES.map((route) => ({ route, params: match(route, segments) })).find((c) => c.params && c.route.method === req.method);
      if (!found) throw new ErrorInfo(`No such REST resource: ${url.pathname} (${req.method})`, ErrorCode.NOT_FOUND, 404);
      const request: RouteRequest = {
        req,
        res,
        url,
        params: found.params!,
        style,
        deps,
        body: async () => {
          bodyRead = true;
          return decodeBody(await readBody(req, maxBodyBytes), requestFormat(req));
        },
      };
      await found.route.handler(request);
    } catch (err) {
      const info = ErrorInfo.from(err);
      if (!(err instanceof ErrorInfo)) deps.logger.error({ err, path: url.pathname }, 'REST request failed');
      // A body we refused or never read may still be arriving: close the connection rather than drain it.
      if (!bodyRead || info.statusCode === 413) {
        if (req.method !== 'GET' && req.method !== 'HEAD' && !req.readableEnded) res.setHeader('connection', 'close');
      }
      sendError(res, style, info);
    }
    return true;
  };
}
