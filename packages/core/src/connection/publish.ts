import { ErrorCode, ErrorInfo, Flag, MessageAction, type Message, type ProtocolMessage } from '@rowcast/protocol';
import type { MutationAction } from '../messages/mutation.js';
import type { PublishOrigin } from '../node-api.js';
import { capabilityAllows, userClaimFor } from '../auth/index.js';
import { parseChannelName, refuseClientPublish } from '../channel/names.js';
import type { RealtimeConnection } from './connection.js';
import { requireMode } from './require-mode.js';
import { acknowledged } from './acknowledged.js';

/**
 * MESSAGE from a client: a publish of one or more messages under one msgSerial, or (ably `updateMessage`,
 * `deleteMessage`, `appendMessage`: a message with that action and the original serial) a change to an earlier
 * message, acknowledged with the new version's serial. Checks the `publish`
 * capability and, on an attached channel, the publish mode (NACK 40160) and the connection's publish rate
 * (NACK 42911), hands the messages to node.publish (ids, size, clientId, serials), and acknowledges in msgSerial
 * order with the serials in `res`. A msgSerial the connection already acknowledged (the SDK re-sends
 * unacknowledged messages after a resume) is acknowledged again without publishing twice.
 */
export function handlePublish(conn: RealtimeConnection, pm: ProtocolMessage): Promise<void> {
  return acknowledged(conn, pm, 'MESSAGE', 'publish failed', (msgSerial) => {
    const parsed = parseChannelName(pm.channel);
    refuseClientPublish(parsed);
    const { base } = parsed;
    if (!Array.isArray(pm.messages) || pm.messages.length === 0) {
      throw new ErrorInfo('MESSAGE needs a non-empty messages array', ErrorCode.BAD_REQUEST, 400);
    }
    // A change to an earlier message is judged by the message-update/delete capabilities (in the engine, which
    // knows whose message it is), not by `publish`.
    if (!pm.messages.some(isMutation)) {
      if (!capabilityAllows(conn.credentials.capability, base, 'publish')) {
        throw new ErrorInfo(`Publish not permitted on channel "${base}"`, ErrorCode.OPERATION_NOT_PERMITTED, 401);
      }
      requireMode(conn, pm.channel as string, Flag.PUBLISH, 'Publish');
    }
    conn.inboundRate.take(pm.messages.length);
    const origin = {
      connectionId: conn.id,
      clientId: conn.identity.wildcard ? '*' : conn.identity.clientId,
      keyName: conn.credentials.keyName,
      idBase: `${conn.id}:${msgSerial}`,
      defaultClientId: conn.identity.clientId,
      userClaim: userClaimFor(conn.credentials.userClaims, base),
    };
    return pm.messages.some(isMutation)
      ? mutate(conn, base, pm.messages, origin)
      : conn.ctx.publishMessages(base, pm.messages, origin).then((r) => r.serials);
  });
}

const MUTATIONS = new Set<number>([MessageAction.UPDATE, MessageAction.DELETE, MessageAction.APPEND]);

function isMutation(m: Message): boolean {
  return m !== null && typeof m === 'object' && MUTATIONS.has(m.action as number);
}

/** Applies each change in order (the SDK sends one per MESSAGE); a plain message among them is refused. */
async function mutate(conn: RealtimeConnection, channel: string, messages: Message[], origin: PublishOrigin): Promise<Array<string | null>> {
  if (!messages.every(isMutation)) {
    throw new ErrorInfo('A MESSAGE cannot mix new messages with changes to earlier ones', ErrorCode.BAD_REQUEST, 400);
  }
  const serials: Array<string | null> = [];
  for (const m of messages) {
    // "Own" messages are those of the connection's clientId, also on a key-authenticated (wildcard) connection.
    const clientId = conn.identity.clientId ?? origin.clientId;
    const result = await conn.ctx.mutateMessage(channel, m.action as MutationAction, m, {
      ...origin,
      clientId,
      capability: conn.credentials.capability,
    });
    serials.push(result.versionSerial);
  }
  return serials;
}
