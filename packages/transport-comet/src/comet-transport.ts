import type { IncomingMessage, ServerResponse } from 'node:http';
import { decode } from '@msgpack/msgpack';
import { connectParamsFromQuery, type Logger, type RealtimeNode } from '@rowcast/core';
import { Action, ErrorCode, ErrorInfo, encodeFrame, type ProtocolMessage } from '@rowcast/protocol';
import { CometSession } from './comet-session.js';
import { allowCrossOrigin, answerPreflight } from './cors.js';
import { readLimitedBody } from './request-body.js';

export interface CometTransportOptions {
  /** Largest `send` body, in bytes (the WebSocket transport's largest frame). */
  maxFrameSize: number;
  /** Longest a recv is held open with nothing to deliver. */
  pollTimeoutMs: number;
  /** A connection with no recv waiting for this long has lost its client: its transport is dropped. */
  idleTimeoutMs: number;
  logger: Logger;
}

export interface CometTransport {
  /** Answers requests under `/comet/`; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
  /** Comet transports currently open. */
  readonly sessionCount: number;
  /** Ends every session (after the node said goodbye). */
  close(): Promise<void>;
}

/**
 * Serves Ably's Comet transport, the SDK's fallback when WebSockets are blocked (`xhr_polling` in browsers,
 * `comet` in Node): `/comet/connect` opens a connection (and is its first recv), then
 * `/comet/{connectionKey}/recv` long-polls (or streams, unless `stream=false`) arrays of protocol messages,
 * `/send` posts them, `/close` and `/disconnect` end the transport. The connection behind it is the engine's,
 * so it resumes over either transport. A key no session answers to gets 80022 (HTTP 410), as from Ably: the
 * SDK takes it as a dropped transport and reconnects with a resume.
 */
export function createCometTransport(node: RealtimeNode, opts: CometTransportOptions): CometTransport {
  const byKey = new Map<string, CometSession>();
  const live = new Set<CometSession>();

  const connect = (res: ServerResponse, url: URL) => {
    const params = connectParamsFromQuery(url.searchParams);
    const session = new CometSession({
      format: params.format,
      // Ably streams unless told `stream=false` (xhr_polling does); msgpack has no line framing to stream with.
      streamed: url.searchParams.get('stream') !== 'false' && params.format === 'json',
      pollTimeoutMs: opts.pollTimeoutMs,
      idleTimeoutMs: opts.idleTimeoutMs,
      onKey: (s, key) => byKey.set(key, s),
      onEnd: (s) => {
        live.delete(s);
        if (s.key !== undefined && byKey.get(s.key) === s) byKey.delete(s.key);
      },
    });
    live.add(session);
    // The connect request is the first recv: CONNECTED (or a refusal's ERROR) is its answer.
    session.attachRecv(res);
    session.handle = node.connect(params, session);
    session.learnKey();
  };

  const send = async (req: IncomingMessage, res: ServerResponse, session: CometSession) => {
    const body = await readLimitedBody(req, opts.maxFrameSize);
    const msgpack = (req.headers['content-type'] ?? '').includes('msgpack');
    let items: unknown;
    try {
      items = msgpack ? decode(body) : JSON.parse(body.toString('utf8'));
    } catch {
      // Malformed: the engine answers it as it answers a malformed WebSocket frame.
      session.handle?.receive(body);
      res.writeHead(204).end();
      return;
    }
    // The engine reads frames one protocol message at a time, in the connection's format.
    for (const pm of Array.isArray(items) ? items : [items]) session.handle?.receive(encodeFrame(pm as ProtocolMessage, session.format));
    res.writeHead(204).end();
  };

  const handle = (req: IncomingMessage, res: ServerResponse, url: URL): boolean => {
    const parts = url.pathname.split('/');
    if (parts[1] !== 'comet') return false;
    if (req.method === 'OPTIONS') {
      answerPreflight(req, res);
      return true;
    }
    allowCrossOrigin(req, res);
    if (parts.length === 3 && parts[2] === 'connect') {
      connect(res, url);
      return true;
    }
    const key = parts.length === 4 ? safeDecode(parts[2]) : undefined;
    const op = parts[3];
    if (key === undefined || !['recv', 'send', 'close', 'disconnect'].includes(op)) {
      sendError(res, new ErrorInfo(`No such Comet resource: ${url.pathname}`, ErrorCode.NOT_FOUND, 404));
      return true;
    }
    const session = byKey.get(key);
    if (!session || session.isEnded) {
      const id = key.split('!')[0];
      sendError(res, new ErrorInfo(`Unable to find connection: ${id}`, ErrorCode.CONNECTION_NOT_FOUND, 410));
      req.resume();
      return true;
    }
    if (op === 'recv') session.attachRecv(res);
    else if (op === 'send') {
      send(req, res, session).catch((err) => {
        opts.logger.debug({ err }, 'comet send failed');
        sendError(res, ErrorInfo.from(err));
      });
    } else if (op === 'close') {
      session.handle?.receive(encodeFrame({ action: Action.CLOSE }, session.format));
      // The SDK has already let go of this transport (it does not wait for CLOSED over Comet).
      session.dropByClient();
      res.writeHead(204).end();
    } else {
      session.dropByClient();
      res.writeHead(204).end();
    }
    return true;
  };

  return {
    handle,
    get sessionCount() {
      return live.size;
    },
    async close() {
      // Give the goodbye frames a moment to be polled, then cut what is left.
      await new Promise((r) => setTimeout(r, 50));
      for (const session of [...live]) session.terminate();
    },
  };
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** An Ably error as a plain HTTP answer: body `{error}` and the headers the browser SDK reads it from. */
function sendError(res: ServerResponse, err: ErrorInfo): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(err.statusCode, {
    'content-type': 'application/json',
    'x-ably-errorcode': String(err.code),
    'x-ably-errormessage': err.message.replace(/[^\x20-\x7e]/g, '?'),
  });
  res.end(JSON.stringify({ error: err.toJSON() }));
}
