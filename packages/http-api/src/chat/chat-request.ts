import { CHAT_ROOM_SUFFIX, userClaimFor, type MutationOrigin } from '@rowcast/core';
import { ErrorCode, ErrorInfo, type MessageOperation } from '@rowcast/protocol';
import { requireCaller, type RestCaller } from '../authenticate.js';
import type { RouteRequest } from '../route.js';
import type { ChatContent } from './rest-message.js';

/** A Chat REST request resolved: who calls, and the room's channel. */
export interface ChatCall {
  caller: RestCaller;
  room: string;
  /** The room's channel, `<room>::$chat`: capabilities and the engine are about it. */
  channel: string;
  /** The caller's `ably.room.<room>` user claim, if its JWT has one. */
  userClaim?: string;
  /** The origin of what the caller publishes or changes (capability checked by the engine for changes). */
  origin: MutationOrigin;
}

export function invalidBody(message: string): ErrorInfo {
  return new ErrorInfo(message, ErrorCode.INVALID_REQUEST_BODY, 400);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** Authenticates a `/chat/v4/rooms/{room}/...` request (the room is the first path parameter). */
export function chatCall(r: RouteRequest): ChatCall {
  const caller = requireCaller(r.req, r.url, r.deps.auth);
  const room = r.params[0]!;
  const channel = `${room}${CHAT_ROOM_SUFFIX}`;
  const userClaim = userClaimFor(caller.credentials.userClaims, channel);
  const origin: MutationOrigin = {
    clientId: caller.clientId,
    keyName: caller.credentials.keyName,
    capability: caller.credentials.capability,
    userClaim,
  };
  return { caller, room, channel, userClaim, origin };
}

/** An optional object field of a body (`metadata`, `headers`); 40001 when present and not an object. */
function optionalObject(body: Record<string, unknown>, field: string): Record<string, unknown> | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidBody(`${field} must be an object`);
  return value;
}

/** `{text, metadata?, headers?}` of a send or an update; `text` is required (an empty string is allowed). */
export function chatContent(body: unknown, userClaim: string | undefined): ChatContent {
  if (!isObject(body)) throw invalidBody('Expected a JSON object with text');
  if (typeof body.text !== 'string') throw invalidBody('text must be a string');
  return { text: body.text, metadata: optionalObject(body, 'metadata'), headers: optionalObject(body, 'headers'), userClaim };
}

/** The operation details of an update or delete (`description`, `metadata` of string values), by the caller. */
export function operationOf(body: Record<string, unknown>, caller: RestCaller): MessageOperation {
  const op: MessageOperation = {};
  if (caller.clientId !== undefined && caller.clientId !== '*') op.clientId = caller.clientId;
  if (body.description !== undefined && body.description !== null) {
    if (typeof body.description !== 'string') throw invalidBody('description must be a string');
    op.description = body.description;
  }
  const metadata = optionalObject(body, 'metadata');
  if (metadata) {
    if (!Object.values(metadata).every((v) => typeof v === 'string')) throw invalidBody('operation metadata values must be strings');
    op.metadata = metadata as Record<string, string>;
  }
  return op;
}
