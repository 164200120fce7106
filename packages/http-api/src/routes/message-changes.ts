import { parseChannelName, refuseClientPublish, userClaimFor, type MutationOrigin } from '@rowcast/core';
import { ErrorCode, ErrorInfo, MessageAction, type MessageOperation } from '@rowcast/protocol';
import { requireCaller } from '../authenticate.js';
import { toIncomingMessage } from '../incoming-messages.js';
import { sendBody } from '../respond.js';
import type { RouteHandler } from '../route.js';
import { requireCapability } from './capability-check.js';
import { pageLink, pageQuery } from './page-link.js';

/** `GET /channels/{name}/messages/{serial}` (ably `getMessage`): the message as it now is. */
export const getMessage: RouteHandler = async (r) => {
  const caller = requireCaller(r.req, r.url, r.deps.auth);
  const [channel, serial] = r.params;
  requireCapability(caller, channel!, 'history');
  sendBody(r.res, r.style, 200, await r.deps.node.getMessage(channel!, serial!));
};

/**
 * `PATCH /channels/{name}/messages/{serial}` (ably `updateMessage`, `deleteMessage`, `appendMessage`): the body
 * is the message with its `action` (1 update, 2 delete, 5 append) and the operation as `version`; answers
 * `{ versionSerial }`. The engine checks the message-update/delete capabilities against the message's author.
 */
export const changeMessage: RouteHandler = async (r) => {
  const caller = requireCaller(r.req, r.url, r.deps.auth);
  const [channel, serial] = r.params;
  refuseClientPublish(parseChannelName(channel));
  const body = await r.body();
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ErrorInfo('Expected the message to change as the request body', ErrorCode.INVALID_REQUEST_BODY, 400);
  }
  const raw = body as Record<string, unknown>;
  const message = { ...toIncomingMessage({ name: raw.name, data: raw.data, encoding: raw.encoding, extras: raw.extras }), serial };
  const operation = raw.version && typeof raw.version === 'object' ? (raw.version as MessageOperation) : undefined;
  const origin: MutationOrigin = {
    clientId: caller.clientId,
    keyName: caller.credentials.keyName,
    capability: caller.credentials.capability,
    userClaim: userClaimFor(caller.credentials.userClaims, parseChannelName(channel).base),
  };
  const node = r.deps.node;
  let result;
  if (raw.action === MessageAction.UPDATE) result = await node.updateMessage(channel!, message, operation, origin);
  else if (raw.action === MessageAction.DELETE) result = await node.deleteMessage(channel!, message, operation, origin);
  else if (raw.action === MessageAction.APPEND) result = await node.appendMessage(channel!, message, operation, origin);
  else throw new ErrorInfo('The message action must be 1 (update), 2 (delete) or 5 (append)', ErrorCode.INVALID_PARAMETER_VALUE, 400);
  sendBody(r.res, r.style, 200, result);
};

/** `GET /channels/{name}/messages/{serial}/versions` (ably `getMessageVersions`): every version, paged. */
export const messageVersions: RouteHandler = async (r) => {
  const caller = requireCaller(r.req, r.url, r.deps.auth);
  const [channel, serial] = r.params;
  requireCapability(caller, channel!, 'history');
  const params = r.url.searchParams;
  const query = pageQuery(params);
  const direction = params.get('direction');
  if (direction !== null && direction !== 'forwards' && direction !== 'backwards') {
    throw new ErrorInfo('Invalid value for direction: forwards or backwards', ErrorCode.INVALID_PARAMETER_VALUE, 400);
  }
  const page = await r.deps.node.messageVersions(channel!, serial!, { ...query, direction: direction ?? undefined });
  sendBody(r.res, r.style, 200, page.items, { link: pageLink('versions', params, page.next) });
};

/**
 * `POST /channels/{name}/messages/{serial}/annotations` (ably `annotations.publish`/`delete`): one annotation or
 * an array, each on the message of the path. Needs `annotation-publish`.
 */
export const publishAnnotations: RouteHandler = async (r) => {
  const caller = requireCaller(r.req, r.url, r.deps.auth);
  const [channel, serial] = r.params;
  refuseClientPublish(parseChannelName(channel));
  requireCapability(caller, channel!, 'annotation-publish');
  const body = await r.body();
  const list = Array.isArray(body) ? body : [body];
  if (list.length === 0 || list.some((a) => a === null || typeof a !== 'object' || Array.isArray(a))) {
    throw new ErrorInfo('Expected an annotation or an array of annotations as the request body', ErrorCode.INVALID_REQUEST_BODY, 400);
  }
  const annotations = list.map((a) => ({ ...(a as object), messageSerial: serial }));
  await r.deps.node.publishAnnotations(channel!, annotations, {
    clientId: caller.clientId,
    keyName: caller.credentials.keyName,
    userClaim: userClaimFor(caller.credentials.userClaims, parseChannelName(channel).base),
  });
  sendBody(r.res, r.style, 201, {});
};

/** `GET /channels/{name}/messages/{serial}/annotations` (ably `annotations.get`): oldest first, paged. */
export const listAnnotations: RouteHandler = async (r) => {
  const caller = requireCaller(r.req, r.url, r.deps.auth);
  const [channel, serial] = r.params;
  requireCapability(caller, channel!, 'history');
  const params = r.url.searchParams;
  const page = await r.deps.node.annotations(channel!, serial!, pageQuery(params));
  sendBody(r.res, r.style, 200, page.items, { link: pageLink('annotations', params, page.next) });
};
