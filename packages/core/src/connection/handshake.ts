import { Action, ErrorCode, ErrorInfo, decodeFrame } from '@rowcast/protocol';
import type { Credentials } from '../auth/api.js';
import type { EngineContext } from '../context.js';
import { encodeMessage } from '../hub.js';
import type { ConnectParams, TransportLink } from '../transport.js';
import { RealtimeConnection } from './connection.js';
import { dispatch } from './dispatch.js';
import { resolveIdentity, type Identity } from './identity.js';

/** What a transport drives for one socket: frames in, and the end of the socket. */
export interface ConnectionHandle {
  /** The connection, or undefined when the handshake refused the client (the socket is being closed). */
  readonly connection: RealtimeConnection | undefined;
  /** A frame arrived (text or binary as received). Never throws. */
  receive(data: string | Uint8Array): void;
  /** The socket closed, for whatever reason. */
  closed(): void;
}

/**
 * Opens a connection for a new socket: authenticate (`key` or `access_token`), settle the clientId, then
 * resume or recover a kept connection by its key, or start a new one. Refusals are an ERROR frame followed by
 * a close, never an HTTP error (the SDK would retry forever). A resume that cannot be honoured gives a new
 * connection with error 80008 in CONNECTED.
 */
export function openConnection(ctx: EngineContext, params: ConnectParams, link: TransportLink): ConnectionHandle {
  let creds: Credentials;
  let identity: Identity;
  try {
    if (params.key) creds = ctx.auth.authenticateKey(params.key);
    else if (params.accessToken) creds = ctx.auth.authenticateToken(params.accessToken);
    else throw new ErrorInfo('No key or token given (key= or access_token=)', ErrorCode.INVALID_CREDENTIALS, 401);
    identity = resolveIdentity(creds, params.clientId);
  } catch (err) {
    const info = ErrorInfo.from(err);
    link.write([encodeMessage({ action: Action.ERROR, error: info.toJSON() }, params.format)]);
    link.close();
    return refusedHandle;
  }

  const previousKey = params.resume ?? params.recover;
  let conn: RealtimeConnection | undefined;
  let resumeError: ErrorInfo | undefined;
  if (previousKey) {
    const kept = ctx.connections.byKey(previousKey);
    if (kept && kept.state !== 'closed' && kept.identity.clientId === identity.clientId && kept.format === params.format) {
      conn = kept;
      conn.credentials = creds;
      conn.identity = identity;
      conn.heartbeats = params.heartbeats;
      conn.rebind(link);
      conn.scheduleTokenExpiry();
    } else {
      resumeError = new ErrorInfo('Unable to recover connection: connection expired or unknown', ErrorCode.UNABLE_TO_RECOVER_CONNECTION_EXPIRED, 400);
    }
  }
  if (!conn) {
    conn = new RealtimeConnection(ctx, creds, identity, params.format, params.echo, params.heartbeats, link);
    ctx.connections.add(conn);
  }
  conn.send(conn.connectedFrame(resumeError));
  const c = conn;
  ctx.logger.debug({ connectionId: c.id, resumed: !!previousKey && !resumeError }, 'connected');

  return {
    connection: c,
    receive(data) {
      if (c.link !== link) return; // a resume moved the connection to another socket
      let pm;
      try {
        pm = decodeFrame(data, c.format);
      } catch (err) {
        c.sendError(err);
        return;
      }
      try {
        dispatch(c, pm);
      } catch (err) {
        c.sendError(err);
      }
    },
    closed() {
      c.transportClosed(link);
    },
  };
}

const refusedHandle: ConnectionHandle = { connection: undefined, receive() {}, closed() {} };
