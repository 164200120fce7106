import { Action, ErrorCode, ErrorInfo, type ProtocolMessage } from '@rowcast/protocol';
import type { RealtimeConnection } from './connection.js';

/**
 * A client frame Rowcast does not serve. It never fails the connection: the other channels and pending
 * publishes of a busy connection carry on. The error goes where the SDK expects the answer:
 * - a frame with a msgSerial waits for an ACK, so it gets a NACK (40000) in msgSerial order;
 * - a frame on a channel without a msgSerial (OBJECT_SYNC, say) fails that channel only (channel ERROR);
 * - anything else, and actions only a server sends (ACK, CONNECTED, ...), is dropped with a log line: a
 *   connection-wide ERROR would fail the whole connection.
 */
export function refuseUnsupported(conn: RealtimeConnection, pm: ProtocolMessage): void {
  const msgSerial = pm.msgSerial;
  if (SERVER_ONLY.has(pm.action)) {
    // A NACK for a client-sent ACK would fail whatever the SDK has pending under that msgSerial.
    conn.ctx.logger.debug({ connectionId: conn.id, action: pm.action }, 'ignored a server-only action sent by a client');
    return;
  }
  if (typeof msgSerial === 'number' && Number.isInteger(msgSerial)) {
    conn.acks.fail(conn.acks.begin(msgSerial), unsupportedError(pm));
    return;
  }
  if (typeof pm.channel === 'string' && pm.channel.length > 0) {
    conn.sendError(unsupportedError(pm), pm.channel);
    return;
  }
  conn.ctx.logger.debug({ connectionId: conn.id, action: pm.action }, 'ignored a client frame with an action clients do not send');
}

const SERVER_ONLY = new Set<number>([
  Action.ACK,
  Action.NACK,
  Action.CONNECTED,
  Action.DISCONNECTED,
  Action.CLOSED,
  Action.ERROR,
  Action.ATTACHED,
  Action.DETACHED,
]);

function unsupportedError(pm: ProtocolMessage): ErrorInfo {
  return new ErrorInfo(`Action ${pm.action} is not accepted from a client`, ErrorCode.BAD_REQUEST, 400);
}
