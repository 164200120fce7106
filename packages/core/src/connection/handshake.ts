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
  if (previousKey && ctx.connectionStates && !ctx.connections.byKey(previousKey)) {
    // Not held here: in a cluster another node may have held it (and died, or the client just moved).
    return whenReady(resumeFromOtherNode(ctx, previousKey, creds, identity, params, link));
  }
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
  return connectedHandle(ctx, conn, link, !!previousKey, resumeError);
}

/** Sends CONNECTED (with the resume error, if any) and returns the handle feeding the connection. */
function connectedHandle(
  ctx: EngineContext,
  c: RealtimeConnection,
  link: TransportLink,
  resumeAsked: boolean,
  resumeError?: ErrorInfo,
): ConnectionHandle {
  c.send(c.connectedFrame(resumeError));
  ctx.logger.debug({ connectionId: c.id, resumed: resumeAsked && !resumeError }, 'connected');

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

/**
 * Resumes a connection another node of the cluster held: claims its state (one node wins), continues it with the
 * same connectionId, and takes over its presence members (re-applied here, so this node now owns them and the
 * cluster does not reap them with the old node). A state that cannot be claimed gives a new connection and
 * 80008, as locally.
 */
async function resumeFromOtherNode(
  ctx: EngineContext,
  key: string,
  creds: Credentials,
  identity: Identity,
  params: ConnectParams,
  link: TransportLink,
): Promise<ConnectionHandle> {
  let state;
  try {
    state = await ctx.connectionStates!.claim(key);
  } catch (err) {
    ctx.logger.warn({ err }, 'connection state unreadable; starting a new connection');
  }
  if (!state || state.clientId !== identity.clientId || state.format !== params.format) {
    const conn = new RealtimeConnection(ctx, creds, identity, params.format, params.echo, params.heartbeats, link);
    ctx.connections.add(conn);
    const error = new ErrorInfo('Unable to recover connection: connection expired or unknown', ErrorCode.UNABLE_TO_RECOVER_CONNECTION_EXPIRED, 400);
    return connectedHandle(ctx, conn, link, true, error);
  }
  // Back on a node that still keeps an older copy (the client left it, then came back): continue that copy.
  const local = ctx.connections.byId(state.connectionId);
  if (local && local.state !== 'closed') {
    local.credentials = creds;
    local.identity = identity;
    local.heartbeats = params.heartbeats;
    local.rebind(link);
    local.scheduleTokenExpiry();
    return connectedHandle(ctx, local, link, true);
  }
  const conn = new RealtimeConnection(ctx, creds, identity, params.format, params.echo, params.heartbeats, link, state.connectionId);
  ctx.connections.add(conn);
  for (const channel of state.presenceChannels) conn.presenceChannels.add(channel);
  conn.saveState();
  try {
    for (const { channel, member } of await ctx.presence.membersOfConnection(state.connectionId)) await ctx.presence.apply(channel, member);
  } catch (err) {
    ctx.logger.warn({ err, connectionId: conn.id }, 'taking over presence members failed');
  }
  ctx.logger.info({ connectionId: conn.id, from: state.nodeId }, 'resumed a connection from another node');
  return connectedHandle(ctx, conn, link, true);
}

/** A handle for a connection still being set up: frames and the close wait, in order, until it is ready. */
function whenReady(pending: Promise<ConnectionHandle>): ConnectionHandle {
  let ready: ConnectionHandle | undefined;
  const early: Array<string | Uint8Array> = [];
  let closedEarly = false;
  void pending.then((handle) => {
    ready = handle;
    for (const data of early) handle.receive(data);
    if (closedEarly) handle.closed();
  });
  return {
    get connection() {
      return ready?.connection;
    },
    receive(data) {
      if (ready) ready.receive(data);
      else early.push(data);
    },
    closed() {
      if (ready) ready.closed();
      else closedEarly = true;
    },
  };
}
