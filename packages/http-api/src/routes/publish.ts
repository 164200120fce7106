import { clientIdAllowed, newEventId, parseChannelName, refuseClientPublish, userClaimFor, type RealtimeNodeApi } from '@rowcast/core';
import { ErrorCode, ErrorInfo, type Message } from '@rowcast/protocol';
import { requireCaller, type RestCaller } from '../authenticate.js';
import { toIncomingMessages } from '../incoming-messages.js';
import { sendBody } from '../respond.js';
import type { RouteHandler } from '../route.js';
import { requireCapability } from './capability-check.js';

/** What Ably answers for one channel's publish: the id base and one serial per message (null: duplicate). */
export interface ChannelPublishResult {
  channel: string;
  messageId: string;
  serials: Array<string | null>;
}

/**
 * The connection a publish is made on behalf of (Ably TM2h: messages carrying a realtime connection's
 * `connectionKey`, which Laravel Echo's `toOthers()` relies on): its messages get that connectionId, so that
 * connection's `echoMessages: false` suppresses them (in a cluster, whichever node holds it: echo is decided where
 * the connection is). One request names one connection; an unknown key is
 * refused (40006) rather than published as anonymous.
 */
async function onBehalfOf(node: RealtimeNodeApi, messages: Message[]): Promise<string | undefined> {
  const keys = new Set(messages.map((m) => m.connectionKey));
  if (keys.size === 1 && keys.has(undefined)) return undefined;
  if (keys.size > 1) {
    throw new ErrorInfo('All messages of one publish must carry the same connectionKey', ErrorCode.INVALID_PARAMETER_VALUE, 400);
  }
  const [key] = keys as Set<string>;
  const connectionId = await node.connectionIdForKey(key);
  if (connectionId === undefined) {
    throw new ErrorInfo(`Invalid connectionKey: no such connection`, ErrorCode.INVALID_CONNECTION_ID, 400);
  }
  for (const m of messages) delete m.connectionKey;
  return connectionId;
}

/**
 * Publishes messages on one channel for a REST caller: not a derived channel or metachannel, capability `publish`, each message's clientId allowed
 * for the caller (40012 otherwise), then the engine (which dedupes idempotent ids and checks sizes). Message
 * ids are `<messageId>:<index>` unless the client gave its own.
 */
export async function publishAsCaller(
  node: RealtimeNodeApi,
  caller: RestCaller,
  channel: string,
  messages: Message[],
): Promise<ChannelPublishResult> {
  const parsed = parseChannelName(channel);
  refuseClientPublish(parsed);
  requireCapability(caller, channel, 'publish');
  for (const msg of messages) {
    if (!clientIdAllowed(caller.clientId, msg.clientId)) {
      throw new ErrorInfo(`Message clientId "${msg.clientId}" is not allowed for this caller`, ErrorCode.CLIENT_ID_NOT_PERMITTED, 400);
    }
  }
  const connectionId = await onBehalfOf(node, messages);
  const firstId = messages[0]?.id;
  const idBase = firstId !== undefined ? firstId.replace(/:\d+$/, '') : newEventId();
  const { serials } = await node.publish(channel, messages, {
    clientId: caller.clientId,
    keyName: caller.credentials.keyName,
    idBase,
    connectionId,
    // a JWT's claim for this channel, as on a realtime publish (and a client's own extras.userClaim is dropped)
    userClaim: userClaimFor(caller.credentials.userClaims, parsed.base),
  });
  return { channel, messageId: idBase, serials };
}

/** `POST /channels/{name}/messages`: one message or an array, JSON or msgpack. */
export const publishToChannel: RouteHandler = async (r) => {
  const caller = requireCaller(r.req, r.url, r.deps.auth);
  const [channel] = r.params;
  const messages = toIncomingMessages(await r.body());
  const result = await publishAsCaller(r.deps.node, caller, channel!, messages);
  sendBody(r.res, r.style, 201, result);
};
