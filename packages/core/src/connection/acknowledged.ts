import { ErrorCode, ErrorInfo, type ProtocolMessage } from '@rowcast/protocol';
import type { RealtimeConnection } from './connection.js';

/**
 * The acknowledgement frame every client write under a msgSerial shares (MESSAGE, ANNOTATION): the msgSerial is
 * checked, its ACK position reserved, and a msgSerial the connection already handled (the SDK re-sends
 * unacknowledged writes after a resume) is answered with its first outcome instead of running `work` again.
 * `work` returns the serials for `res`; a refusal is counted by its code and NACKed, an unexpected error logged
 * as `failureLog`.
 */
export async function acknowledged(
  conn: RealtimeConnection,
  pm: ProtocolMessage,
  frame: 'MESSAGE' | 'ANNOTATION',
  failureLog: string,
  work: (msgSerial: number) => Promise<Array<string | null>>,
): Promise<void> {
  const msgSerial = pm.msgSerial;
  if (typeof msgSerial !== 'number' || !Number.isInteger(msgSerial)) {
    throw new ErrorInfo(`${frame} needs an integer msgSerial`, ErrorCode.BAD_REQUEST, 400);
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
    const outcome = work(msgSerial);
    conn.acks.track(msgSerial, outcome);
    conn.acks.succeed(slot, await outcome);
  } catch (err) {
    const info = ErrorInfo.from(err);
    conn.ctx.counters.refused(info.code);
    conn.acks.fail(slot, info);
    if (!(err instanceof ErrorInfo)) conn.ctx.logger.error({ err, connectionId: conn.id }, failureLog);
  }
}
