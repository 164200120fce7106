import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import { authenticateRequest } from '../authenticate.js';
import { sendBody } from '../respond.js';
import type { RouteHandler } from '../route.js';

/**
 * `POST /keys/{keyName}/requestToken`: a signed TokenRequest (no Authorization header, the MAC is the
 * credential), or unsigned token params from a Basic- or token-authenticated caller. Answers TokenDetails.
 */
export const requestToken: RouteHandler = async (r) => {
  const [keyName] = r.params;
  const body = await r.body();
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ErrorInfo('Expected a TokenRequest object', ErrorCode.INVALID_REQUEST_BODY, 400);
  }
  const request = body as Record<string, unknown>;
  const caller = request.mac === undefined ? authenticateRequest(r.req, r.url, r.deps.auth) : undefined;
  const details = await r.deps.auth.requestToken(keyName!, request, caller?.credentials);
  sendBody(r.res, r.style, 201, details);
};
