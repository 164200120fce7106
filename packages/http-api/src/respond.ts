import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorInfo } from '@rowcast/protocol';
import { CONTENT_TYPES, encodeBody, type BodyFormat } from './wire-format.js';

/** Headers a browser client may send (the SDK's, plus the usual ones). */
const ALLOWED_HEADERS = 'authorization, content-type, accept, x-ably-version, ably-agent, x-ably-clientid, x-ably-lib';
const EXPOSED_HEADERS = 'link, x-ably-errorcode, x-ably-errormessage, x-ably-serverid';

/** CORS headers for every REST response, so browser apps on other origins can call the API. */
export function setCorsHeaders(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('access-control-allow-origin', req.headers.origin ?? '*');
  res.setHeader('access-control-allow-credentials', 'true');
  res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
  res.setHeader('vary', 'Origin');
}

/** Answers a CORS preflight. */
export function sendPreflight(req: IncomingMessage, res: ServerResponse): void {
  setCorsHeaders(req, res);
  res.setHeader('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
  res.setHeader('access-control-allow-headers', req.headers['access-control-request-headers'] ?? ALLOWED_HEADERS);
  res.setHeader('access-control-max-age', '86400');
  res.writeHead(204).end();
}

/** How one response is shaped: its body format, and whether Ably's `envelope` wrapping was asked for. */
export interface ResponseStyle {
  format: BodyFormat;
  envelope: boolean;
}

/**
 * Sends a body. With `envelope`, Ably wraps status and headers in the body and answers 200:
 * `{statusCode, headers, response}` (the SDK unwraps it).
 */
export function sendBody(res: ServerResponse, style: ResponseStyle, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = style.envelope ? { statusCode: status, headers, response: body } : body;
  if (!style.envelope) for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('content-type', CONTENT_TYPES[style.format]);
  res.writeHead(style.envelope ? 200 : status).end(encodeBody(payload, style.format));
}

/**
 * Sends an Ably error: body `{error:{code,statusCode,message,href}}` plus `x-ably-errorcode` and
 * `x-ably-errormessage` headers (the SDK reads either).
 */
export function sendError(res: ServerResponse, style: ResponseStyle, err: ErrorInfo): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.setHeader('x-ably-errorcode', String(err.code));
  res.setHeader('x-ably-errormessage', err.message.replace(/[^\x20-\x7e]/g, '?'));
  sendBody(res, style, err.statusCode, { error: err.toJSON() });
}
