import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import type { RealtimeConnection } from './connection.js';

/**
 * Refuses (40160, as Ably) an operation the channel's attachment was not granted the mode for: a channel
 * attached with `modes: ['subscribe']` may not publish or enter presence even when the capability would allow
 * it. A channel not attached (the SDK may publish without attaching) is limited by the capability alone.
 */
export function requireMode(conn: RealtimeConnection, channel: string, mode: number, operation: string): void {
  const att = conn.attachments.get(channel);
  if (att && !att.has(mode)) {
    throw new ErrorInfo(
      `${operation} not permitted on channel "${att.channel}": the channel was attached without that mode`,
      ErrorCode.OPERATION_NOT_PERMITTED,
      401,
    );
  }
}
