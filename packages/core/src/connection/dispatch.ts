import { Action, type ProtocolMessage } from '@rowcast/protocol';
import { handleAnnotation } from './annotate.js';
import { handleAttach } from './attach.js';
import { handleAuth } from './auth.js';
import { handleClose } from './close.js';
import type { RealtimeConnection } from './connection.js';
import { handleDetach } from './detach.js';
import { handleHeartbeat } from './heartbeat.js';
import { handlePresence } from './presence.js';
import { handlePublish } from './publish.js';
import { handleSync } from './sync.js';
import { refuseUnsupported } from './unsupported.js';

/**
 * Routes one decoded client frame to its handler. Actions Rowcast does not serve get a NACK or a channel ERROR
 * (see refuseUnsupported), never a connection failure. Anything a handler throws becomes an ERROR frame for
 * this connection only; every other connection keeps going.
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
      case Action.ANNOTATION:
        work = handleAnnotation(conn, pm);
        break;
      case Action.PRESENCE:
        work = handlePresence(conn, pm);
        break;
      case Action.SYNC:
        work = handleSync(conn, pm);
        break;
      case Action.AUTH:
        handleAuth(conn, pm);
        return;
      case Action.CLOSE:
        handleClose(conn);
        return;
      default:
        refuseUnsupported(conn, pm);
        return;
    }
  } catch (err) {
    conn.sendError(err);
    return;
  }
  work?.catch((err) => conn.sendError(err));
}
