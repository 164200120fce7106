import { ErrorCode, ErrorInfo, Flag, type ProtocolMessage } from '@rowcast/protocol';
import { capabilityAllows, userClaimFor } from '../auth/index.js';
import { parseChannelName, refuseClientPublish } from '../channel/names.js';
import type { RealtimeConnection } from './connection.js';
import { requireMode } from './require-mode.js';

/**
 * MESSAGE from a client: a publish of one or more messages under one msgSerial. Checks the `publish`
 * capability and, on an attached channel, the publish mode (NACK 40160) and the connection's publish rate
 * (NACK 42911), hands the messages to node.publish (ids, size, clientId, serials), and acknowledges in msgSerial
 * order with the serials in `res`. A msgSerial the connection already acknowledged (the SDK re-sends
 * unacknowledged messages after a resume) is acknowledged again without publishing twice.
 */
export async function handlePublish(conn: RealtimeConnection, pm: ProtocolMessage): Promise<void> {
  const msgSerial = pm.msgSerial;
  if (typeof msgSerial !== 'number' || !Number.isInteger(msgSerial)) {
    throw new ErrorInfo('MESSAGE needs an integer msgSerial', ErrorCode.BAD_REQUEST, 400);
  }
  const slot = conn.acks.begin(msgSerial);
  const previous = conn.acks.previousResult(msgSerial);
  if (previous) {
    try {
      conn.acks.succeed(slot, await previous);
    } catch (err) {
      conn.acks.fail(slot, ErrorInfo.from(err));
    }
    return;
  }
  try {
    const parsed = parseChannelName(pm.channel);
    refuseClientPublish(parsed);
    const { base } = parsed;
    if (!capabilityAllows(conn.credentials.capability, base, 'publish')) {
      throw new ErrorInfo(`Publish not permitted on channel "${base}"`, ErrorCode.OPERATION_NOT_PERMITTED, 401);
    }
    requireMode(conn, pm.channel as string, Flag.PUBLISH, 'Publish');
    if (!Array.isArray(pm.messages) || pm.messages.length === 0) {
      throw new ErrorInfo('MESSAGE needs a non-empty messages array', ErrorCode.BAD_REQUEST, 400);
    }
    conn.inboundRate.take(pm.messages.length);
    const publishing = conn.ctx
      .publishMessages(base, pm.messages, {
        connectionId: conn.id,
        clientId: conn.identity.wildcard ? '*' : conn.identity.clientId,
        keyName: conn.credentials.keyName,
        idBase: `${conn.id}:${msgSerial}`,
        defaultClientId: conn.identity.clientId,
        userClaim: userClaimFor(conn.credentials.userClaims, base),
      })
      .then((r) => r.serials);
    conn.acks.track(msgSerial, publishing);
    conn.acks.succeed(slot, await publishing);
  } catch (err) {
    const info = ErrorInfo.from(err);
    conn.ctx.counters.refused(info.code);
    conn.acks.fail(slot, info);
    if (!(err instanceof ErrorInfo)) conn.ctx.logger.error({ err, connectionId: conn.id }, 'publish failed');
  }
}
