import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import { requireCaller } from '../authenticate.js';
import { sendBody } from '../respond.js';
import type { RouteHandler } from '../route.js';

/**
 * `POST /keys/{keyName}/revokeTokens`: `{targets:["clientId:x", ...], issuedBefore?, allowReauthMargin?}` with
 * Basic auth of that key. Answers Ably's BatchResult: `{successCount, failureCount, results:[{target,
 * issuedBefore, appliesAt} | {target, error}]}`.
 */
export const revokeTokens: RouteHandler = async (r) => {
  const caller = requireCaller(r.req, r.url, r.deps.auth);
  const [keyName] = r.params;
  if (!r.deps.auth.revokeTokens) throw new ErrorInfo('Token revocation is not available', ErrorCode.NOT_FOUND, 404);
  const body = await r.body();
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ErrorInfo('Expected {targets, issuedBefore?, allowReauthMargin?}', ErrorCode.INVALID_REQUEST_BODY, 400);
  }
  const results = await r.deps.auth.revokeTokens(keyName!, body, caller.credentials);
  const failureCount = results.filter((x) => 'error' in x).length;
  sendBody(r.res, r.style, 201, { successCount: results.length - failureCount, failureCount, results });
};
