import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { serveParent } from '../lib/proc.js';
import { settledMemory } from '../lib/memory.js';

/**
 * Peer: a `socket.io` 4 server, WebSocket transport only, broadcasting to a room: every socket joins `room`
 * except the publisher (`?role=pub`), whose `pub` events are emitted to the room (`io.to(room).emit`), the
 * idiomatic socket.io fan-out. Clients speak engine.io v4 / socket.io v5 framing over plain `ws` in the load
 * generator, so all systems are driven by the same client code.
 */
await serveParent<{ port?: number }, { port: number }>(async (args) => {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });
  io.on('connection', (socket) => {
    if (socket.handshake.query.role === 'pub') {
      socket.on('pub', (payload: string) => io.to('room').emit('m', payload));
      return;
    }
    socket.join('room');
  });
  await new Promise<void>((resolve) => http.listen(args.port ?? 0, '127.0.0.1', resolve));
  const port = (http.address() as { port: number }).port;
  return {
    ready: { port },
    handlers: {
      memory: () => settledMemory(),
      connections: () => io.engine.clientsCount,
      stop: () =>
        new Promise<void>((resolve) => {
          io.disconnectSockets(true);
          io.close(() => resolve());
        }),
    },
  };
});
