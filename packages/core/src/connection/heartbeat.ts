import { Action, type ProtocolMessage } from '@rowcast/protocol';
import type { RealtimeConnection } from './connection.js';

/** HEARTBEAT from a client (`connection.ping()`): echo it with its id, or the SDK's ping times out. */
export function handleHeartbeat(conn: RealtimeConnection, pm: ProtocolMessage): void {
  conn.send(pm.id === undefined ? { action: Action.HEARTBEAT } : { action: Action.HEARTBEAT, id: String(pm.id) });
}
