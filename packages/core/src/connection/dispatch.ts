import { Action, ErrorCode, ErrorInfo, type ProtocolMessage } from '@rowcast/protocol';
import { handleAttach } from './attach.js';
import { handleAuth } from './auth.js';
import { handleClose } from './close.js';
import type { RealtimeConnection } from './connection.js';
import { handleDetach } from './detach.js';
import { handleHeartbeat } from './heartbeat.js';
import { handlePresence } from './presence.js';
import { handlePublish } from './publish.js';

/**
 * Routes one decoded client frame to its handler. Anything a handler throws becomes an ERROR frame for this
 * connection only; the connection and every other one keep going.
 */
export function dispatch(conn: RealtimeConnection, pm: ProtocolMessage): void {
  if (conn.state !== 'connected') return;
  let work: void | Promise<void>;
  try {
    switch (pm.action) {
      case Action.HEARTBEAT:
        handleHeartbeat(conn, pm);
        return;
      case Action.ATTACH:
        work = handleAttach(conn, pm);
        break;
      case Action.DETACH:
        work = handleDetach(conn, pm);
        break;
      case Action.MESSAGE:
        work = handlePublish(conn, pm);
        break;
      case Action.PRESENCE:
        work = handlePresence(conn, pm);
        break;
      case Action.AUTH:
        handleAuth(conn, pm);
        return;
      case Action.CLOSE:
        handleClose(conn);
        return;
      default:
        throw new ErrorInfo(`Unexpected action ${pm.action} from a client`, ErrorCode.BAD_REQUEST, 400);
    }
  } catch (err) {
    conn.sendError(err);
    return;
  }
  work?.catch((err) => conn.sendError(err));
}
