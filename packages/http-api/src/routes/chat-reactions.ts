import type { Annotation } from '@rowcast/protocol';
import { AnnotationAction } from '@rowcast/protocol';
import { chatCall, invalidBody, isObject } from '../chat/chat-request.js';
import { REACTION_ANNOTATION_TYPES, reactionsOf, type ReactionType, type RestReactions } from '../chat/rest-message.js';
import { sendBody } from '../respond.js';
import type { RouteHandler } from '../route.js';
import { requireCapability } from './capability-check.js';

/**
 * Message reactions of the Chat REST API: Ably builds them on annotations (`reaction:<type>.v1` on the room's
 * channel), so a reaction sent here is summarised like any annotation and reaches subscribers as the message's
 * `message.summary`.
 */

function reactionType(value: unknown): ReactionType {
  if (typeof value === 'string' && Object.hasOwn(REACTION_ANNOTATION_TYPES, value)) return value as ReactionType;
  throw invalidBody('type must be one of unique, distinct, multiple');
}

/** `POST .../messages/{serial}/reactions` `{type, name, count?}`: adds the caller's reaction (201). */
export const sendMessageReaction: RouteHandler = async (r) => {
  const call = chatCall(r);
  requireCapability(call.caller, call.channel, 'annotation-publish');
  const body = await r.body();
  if (!isObject(body)) throw invalidBody('Expected a JSON object with type and name');
  const type = reactionType(body.type);
  if (typeof body.name !== 'string' || body.name === '') throw invalidBody('name must be a non-empty string');
  const annotation: Annotation = {
    action: AnnotationAction.CREATE,
    messageSerial: r.params[1]!,
    type: REACTION_ANNOTATION_TYPES[type],
    name: body.name,
  };
  if (body.count !== undefined && body.count !== null) {
    if (type !== 'multiple') throw invalidBody('count is only for reactions of type multiple');
    if (!Number.isInteger(body.count) || (body.count as number) < 1) throw invalidBody('count must be a positive integer');
    annotation.count = body.count as number;
  }
  if (call.userClaim !== undefined) annotation.extras = { userClaim: call.userClaim };
  await r.deps.node.publishAnnotations(call.channel, [annotation], call.origin);
  sendBody(r.res, r.style, 201, {});
};

/** `DELETE .../messages/{serial}/reactions?type=&name=`: removes the caller's reaction (name: all but unique). */
export const deleteMessageReaction: RouteHandler = async (r) => {
  const call = chatCall(r);
  requireCapability(call.caller, call.channel, 'annotation-publish');
  const params = r.url.searchParams;
  const type = reactionType(params.get('type'));
  const name = params.get('name');
  if (type !== 'unique' && !name) throw invalidBody(`name is required to delete a reaction of type ${type}`);
  const annotation: Annotation = { action: AnnotationAction.DELETE, messageSerial: r.params[1]!, type: REACTION_ANNOTATION_TYPES[type] };
  if (name) annotation.name = name;
  if (call.userClaim !== undefined) annotation.extras = { userClaim: call.userClaim };
  await r.deps.node.publishAnnotations(call.channel, [annotation], call.origin);
  sendBody(r.res, r.style, 200, {});
};

/** One reaction type's summary with only the given client's part (names it did not react with left out). */
function onlyClient(entries: Record<string, unknown>, clientId: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(entries)) {
    if (!isObject(entry)) continue;
    const ids = entry.clientIds;
    if (Array.isArray(ids) && ids.includes(clientId)) out[name] = { ...entry, clientIds: [clientId] };
    else if (isObject(ids) && typeof ids[clientId] === 'number') out[name] = { ...entry, clientIds: { [clientId]: ids[clientId] } };
  }
  return out;
}

/**
 * `GET .../messages/{serial}/client-reactions?forClientId=`: the message's reaction summary narrowed to one
 * client's reactions (the caller's by default): totals stay the message's, clientIds name only that client.
 */
export const clientReactions: RouteHandler = async (r) => {
  const call = chatCall(r);
  requireCapability(call.caller, call.channel, 'history');
  const clientId = r.url.searchParams.get('forClientId') || call.caller.clientId;
  const message = await r.deps.node.getMessage(call.channel, r.params[1]!);
  const all = reactionsOf(message.annotations);
  const mine: RestReactions = { unique: {}, distinct: {}, multiple: {} };
  if (clientId && clientId !== '*') {
    for (const type of ['unique', 'distinct', 'multiple'] as const) mine[type] = onlyClient(all[type], clientId);
  }
  sendBody(r.res, r.style, 200, mine);
};
