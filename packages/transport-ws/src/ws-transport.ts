import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger, RealtimeNode } from '@rowcast/core';
import { parseConnectParams } from './params.js';
import { WsLink } from './ws-link.js';

export interface WebSocketTransportOptions {
  /** Largest inbound frame; bigger frames close the socket (1009). */
  maxFrameSize: number;
  /** Sockets are pinged this often; one that has not answered the previous ping is dropped as dead. */
  pingIntervalMs: number;
  logger: Logger;
}

export interface WebSocketTransport {
  /** Number of open sockets. */
  readonly socketCount: number;
  /** Stops accepting sockets and terminates the remaining ones (after the node said goodbye). */
  close(): Promise<void>;
}

/**
 * Serves Ably's realtime protocol on WebSocket upgrades to `/` of an existing HTTP server. Every upgrade is
 * completed, even with bad credentials: refusals travel as an ERROR frame (an HTTP 401 would make the SDK retry
 * forever).
 */
export function attachWebSocketTransport(server: Server, node: RealtimeNode, opts: WebSocketTransportOptions): WebSocketTransport {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: opts.maxFrameSize, clientTracking: true });
  const alive = new WeakMap<WebSocket, boolean>();

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, url));
  };

  const accept = (ws: WebSocket, url: URL) => {
    const handle = node.connect(parseConnectParams(url), new WsLink(ws));
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      alive.set(ws, true);
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      handle.receive(isBinary ? bytes : bytes.toString('utf8'));
    });
    ws.on('close', () => handle.closed());
    ws.on('error', (err) => opts.logger.debug({ err }, 'websocket error'));
  };

  server.on('upgrade', onUpgrade);
  // One timer for all sockets: pings keep the SDK's idle timer fed (heartbeats=false) and find dead peers.
  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      try {
        ws.ping();
      } catch {
        ws.terminate();
      }
    }
  }, opts.pingIntervalMs).unref();

  return {
    get socketCount() {
      return wss.clients.size;
    },
    async close() {
      clearInterval(pinger);
      server.off('upgrade', onUpgrade);
      // Give the goodbye frames a moment to leave, then cut what is left.
      await new Promise((r) => setTimeout(r, 50));
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
