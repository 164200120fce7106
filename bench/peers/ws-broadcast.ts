import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { serveParent } from '../lib/proc.js';
import { settledMemory } from '../lib/memory.js';

/**
 * Peer: the minimal `ws` broadcast server the issue names. Subscribers connect to `/`, the publisher to
 * `/?role=pub`; every frame the publisher sends goes to every subscriber with one `send()` per client per
 * message (ws's default per-message path, no batching). A subscriber gets a small hello frame on connect, the
 * equivalent of Rowcast's CONNECTED, so the connection benchmark measures the same handshake on both.
 */
await serveParent<{ port?: number }, { port: number }>(async (args) => {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const subscribers = new Set<WebSocket>();
  const hello = JSON.stringify({ action: 4, connectionId: 'peer' });
  wss.on('connection', (ws, req) => {
    if (req.url?.includes('role=pub')) {
      ws.on('message', (data, isBinary) => {
        for (const sub of subscribers) sub.send(data, { binary: isBinary });
      });
      return;
    }
    subscribers.add(ws);
    ws.on('close', () => subscribers.delete(ws));
    ws.on('error', () => subscribers.delete(ws));
    ws.send(hello);
  });
  await new Promise<void>((resolve) => http.listen(args.port ?? 0, '127.0.0.1', resolve));
  const port = (http.address() as { port: number }).port;
  return {
    ready: { port },
    handlers: {
      memory: () => settledMemory(),
      connections: () => subscribers.size,
      stop: () =>
        new Promise<void>((resolve) => {
          for (const ws of wss.clients) ws.terminate();
          wss.close();
          http.close(() => resolve());
        }),
    },
  };
});
