import { clientIdAllowed, type RealtimeNodeApi } from '@rowcast/core';
import { ErrorCode, ErrorInfo, type Message } from '@rowcast/protocol';
import { requireCaller, type RestCaller } from '../authenticate.js';
import { toIncomingMessages } from '../incoming-messages.js';
import { sendBody } from '../respond.js';
import type { RouteHandler } from '../route.js';
import { requireCapability } from './capability-check.js';

/** What Ably answers for one channel's publish: the id base and one serial per message (null: duplicate). */
export interface ChannelPublishResult {
  channel: string;
  messageId?: string;
  serials: Array<string | null>;
}

/**
 * Publishes messages on one channel for a REST caller: capability `publish`, each message's clientId allowed
 * for the caller (40012 otherwise), then the engine (which dedupes idempotent ids and checks sizes).
 */
export async function publishAsCaller(
  node: RealtimeNodeApi,
  caller: RestCaller,
  channel: string,
  messages: Message[],
): Promise<ChannelPublishResult> {
  requireCapability(caller, channel, 'publish');
  for (const msg of messages) {
    if (!clientIdAllowed(caller.clientId, msg.clientId)) {
      throw new ErrorInfo(`Message clientId "${msg.clientId}" is not allowed for this caller`, ErrorCode.CLIENT_ID_NOT_PERMITTED, 400);
    }
  }
  const { serials } = await node.publish(channel, messages, {
    clientId: caller.clientId,
    keyName: caller.credentials.keyName,
  });
  const firstId = messages[0]?.id;
  const result: ChannelPublishResult = { channel, serials };
  if (firstId !== undefined) result.messageId = firstId.replace(/:\d+$/, '');
  return result;
}

/** `POST /channels/{name}/messages`: one message or an array, JSON or msgpack. */
export const publishToChannel: RouteHandler = async (r) => {
  const caller = requireCaller(r.req, r.url, r.deps.auth);
  const [channel] = r.params;
  const messages = toIncomingMessages(await r.body());
  const result = await publishAsCaller(r.deps.node, caller, channel!, messages);
  sendBody(r.res, r.style, 201, result);
};
