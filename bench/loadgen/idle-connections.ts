import { serveParent } from '../lib/proc.js';
import { openMany, openRawClient, type RawClient, type SystemKind } from '../lib/raw-clients.js';

interface Args {
  kind: SystemKind;
  url: string;
  key?: string;
}

export interface OpenResult {
  opened: number;
  failures: number;
  elapsedMs: number;
}

/**
 * Load generator for the connection benchmark: opens N connections that then stay idle (Rowcast: the Ably
 * protocol handshake with a key, until CONNECTED; the ws peer: until its hello frame).
 */
await serveParent<Args, { pid: number }>(async (args) => {
  let clients: RawClient[] = [];
  return {
    ready: { pid: process.pid },
    handlers: {
      async open(a: { count: number; concurrency: number }): Promise<OpenResult> {
        const r = await openMany(a.count, a.concurrency, () =>
          openRawClient({ kind: args.kind, url: args.url, key: args.key, role: 'sub', attach: false }),
        );
        clients = clients.concat(r.clients);
        return { opened: r.clients.length, failures: r.failures, elapsedMs: r.elapsedMs };
      },
      /** How many of the opened connections are still open (a server that drops idle clients shows here). */
      open_count: () => clients.filter((c) => c.ws.readyState === c.ws.OPEN).length,
      stop() {
        for (const c of clients) c.close();
      },
    },
  };
});
