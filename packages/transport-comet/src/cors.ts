import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The SDK in a browser polls from the app's origin: every Comet answer carries CORS headers, and the error
 * headers are exposed because the browser SDK reads an Ably error from a response only when it can see
 * `x-ably-errorcode`.
 */
export function allowCrossOrigin(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('access-control-allow-origin', req.headers.origin ?? '*');
  res.setHeader('access-control-allow-credentials', 'true');
  res.setHeader('access-control-expose-headers', 'x-ably-errorcode, x-ably-errormessage, x-ably-serverid');
  res.setHeader('vary', 'Origin');
}

/** Answers a preflight: `send` and `close` are JSON POSTs, which browsers preflight. */
export function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
  allowCrossOrigin(req, res);
  res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  res.setHeader('access-control-allow-headers', req.headers['access-control-request-headers'] ?? 'content-type, accept');
  res.setHeader('access-control-max-age', '86400');
  res.writeHead(204).end();
}
