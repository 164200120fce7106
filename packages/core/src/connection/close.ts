import { Action } from '@rowcast/protocol';
import type { RealtimeConnection } from './connection.js';

/**
 * CLOSE from a client: answer CLOSED and end the connection for good. Its presence members leave now (no
 * delay: the client said it is gone) and its state is not kept for a resume.
 */
export function handleClose(conn: RealtimeConnection): void {
  conn.close({ action: Action.CLOSED });
}
