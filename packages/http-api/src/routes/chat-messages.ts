import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import { chatCall, chatContent, invalidBody, isObject, operationOf } from '../chat/chat-request.js';
import { toChannelMessage, toRestMessage } from '../chat/rest-message.js';
import { linkHeader, parseHistoryQuery } from '../history-query.js';
import { sendBody } from '../respond.js';
import type { RouteHandler } from '../route.js';
import { requireCapability } from './capability-check.js';

/**
 * The messages of Ably's Chat REST API v4 (`/chat/v4/rooms/{room}/messages...`), as @ably/chat 1.4 calls them:
 * each is a message of the room's channel, so realtime subscribers see what REST does and the reverse.
 */

/** `POST .../messages` `{text, metadata?, headers?}`: sends a message; answers it as stored (201). */
export const sendChatMessage: RouteHandler = async (r) => {
  const call = chatCall(r);
  requireCapability(call.caller, call.channel, 'publish');
  const content = chatContent(await r.body(), call.userClaim);
  // The SDK's idempotencyKey (one per send, reused on its retries): the message id, so a retry is not a second message.
  const idempotencyKey = r.url.searchParams.get('idempotencyKey') || undefined;
  const message = { ...toChannelMessage(content), ...(idempotencyKey && { id: idempotencyKey }) };
  const { serials, timestamp } = await r.deps.node.publish(call.channel, [message], call.origin);
  const serial = serials[0];
  // a retry of a send that was accepted: answer the message the first attempt stored
  const stored = serial ? undefined : await retriedSend(r, call.channel, idempotencyKey);
  if (stored) return sendBody(r.res, r.style, 201, stored);
  if (!serial || timestamp === undefined) throw new ErrorInfo('The message was not accepted', ErrorCode.INTERNAL_ERROR, 500);
  const clientId = call.caller.clientId === '*' ? undefined : call.caller.clientId;
  sendBody(r.res, r.style, 201, toRestMessage({ ...message, id: message.id ?? serial, serial, timestamp, action: 0, clientId }));
};

/** The message an earlier attempt with this idempotency key stored, found among the room's latest messages. */
async function retriedSend(r: Parameters<RouteHandler>[0], channel: string, id: string | undefined) {
  if (!id) return undefined;
  const page = await r.deps.node.history(channel, { direction: 'backwards', limit: 1000 });
  const original = page.items.find((m) => m.id === id);
  return original && toRestMessage(original);
}

/**
 * `GET .../messages`: the room's history, latest version of each message, newest first by default
 * (`direction`), within `start`/`end`, up to `fromSerial` (the point a subscriber attached at), paged by `Link`.
 */
export const chatHistory: RouteHandler = async (r) => {
  const call = chatCall(r);
  requireCapability(call.caller, call.channel, 'history');
  const params = new URLSearchParams(r.url.searchParams);
  const fromSerial = params.get('fromSerial');
  if (fromSerial) params.set('from_serial', fromSerial);
  const query = parseHistoryQuery(params);
  const page = await r.deps.node.history(call.channel, query);
  sendBody(r.res, r.style, 200, page.items.map(toRestMessage), { link: linkHeader('messages', query, page) });
};

/** `GET .../messages/{serial}`: the message as it is now (40400 when unknown). */
export const getChatMessage: RouteHandler = async (r) => {
  const call = chatCall(r);
  requireCapability(call.caller, call.channel, 'history');
  sendBody(r.res, r.style, 200, toRestMessage(await r.deps.node.getMessage(call.channel, r.params[1]!)));
};

/**
 * `PUT .../messages/{serial}` `{message: {text, metadata?, headers?}, description?, metadata?}`: a new version
 * replacing the whole content (omitted parts become empty). The engine checks `message-update-own/any`.
 */
export const updateChatMessage: RouteHandler = async (r) => {
  const call = chatCall(r);
  const serial = r.params[1]!;
  const body = await r.body();
  if (!isObject(body)) throw invalidBody('Expected a JSON object with message');
  const content = chatContent(body.message, call.userClaim);
  await r.deps.node.updateMessage(call.channel, { serial, ...toChannelMessage(content) }, operationOf(body, call.caller), call.origin);
  sendBody(r.res, r.style, 200, toRestMessage(await r.deps.node.getMessage(call.channel, serial)));
};

/**
 * `POST .../messages/{serial}/delete` `{description?, metadata?}`: a deleted version, its text, metadata and
 * headers emptied (as Ably's). The engine checks `message-delete-own/any`.
 */
export const deleteChatMessage: RouteHandler = async (r) => {
  const call = chatCall(r);
  const serial = r.params[1]!;
  const body = (await r.body()) ?? {};
  if (!isObject(body)) throw invalidBody('Expected a JSON object');
  const emptied = toChannelMessage({ text: '', userClaim: call.userClaim });
  await r.deps.node.deleteMessage(call.channel, { serial, ...emptied }, operationOf(body, call.caller), call.origin);
  sendBody(r.res, r.style, 200, toRestMessage(await r.deps.node.getMessage(call.channel, serial)));
};

/** `GET .../messages/{serial}/versions`: every version of the message, paged by `Link`. */
export const chatMessageVersions: RouteHandler = async (r) => {
  const call = chatCall(r);
  requireCapability(call.caller, call.channel, 'history');
  const query = parseHistoryQuery(r.url.searchParams);
  // Ably lists versions oldest first unless asked otherwise (parseHistoryQuery defaults to newest first).
  const direction = r.url.searchParams.get('direction') ? query.direction : 'forwards';
  const page = await r.deps.node.messageVersions(call.channel, r.params[1]!, { direction, limit: query.limit, cursor: query.cursor });
  sendBody(r.res, r.style, 200, page.items.map(toRestMessage), { link: linkHeader('versions', { ...query, direction }, page) });
};
