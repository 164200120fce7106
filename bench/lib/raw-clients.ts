import WebSocket from 'ws';

/** The systems the raw load generator can drive. */
export type SystemKind = 'rowcast' | 'ws' | 'socketio';

export interface RawClientOptions {
  kind: SystemKind;
  /** `ws://host:port` of the server. */
  url: string;
  role: 'sub' | 'pub';
  /** Rowcast: API key (`name:secret`) and channel. */
  key?: string;
  channel?: string;
  /** Rowcast: attach after CONNECTED (default true for subscribers). Idle connections skip it. */
  attach?: boolean;
  /** Every data frame after the client is ready (Rowcast: after ATTACHED). */
  onFrame?: (frame: Buffer) => void;
}

/** One connection of the load generator, speaking the server's own protocol over plain `ws`. */
export interface RawClient {
  ws: WebSocket;
  publish(payload: string): void;
  close(): void;
}

const CONNECTED = 4;
const ATTACHED = 11;
const ERROR = 9;

/**
 * Opens one connection and resolves when it can receive: Rowcast after CONNECTED (+ ATTACHED when attaching;
 * raw frames are the protocol the SDK speaks, JSON format), the ws peer after its hello frame, socket.io after
 * the namespace CONNECT packet (`40`). Pings are answered (ws by the library, socket.io's `2` with `3`).
 */
export function openRawClient(opts: RawClientOptions): Promise<RawClient> {
  const url = connectUrl(opts);
  const ws = new WebSocket(url, { perMessageDeflate: false });
  let msgSerial = 0;
  const client: RawClient = {
    ws,
    publish(payload: string) {
      if (opts.kind === 'rowcast') {
        ws.send(JSON.stringify({ action: 15, channel: opts.channel, msgSerial: msgSerial++, messages: [{ name: 'm', data: payload }] }));
      } else if (opts.kind === 'ws') {
        ws.send(payload);
      } else {
        ws.send(`42${JSON.stringify(['pub', payload])}`);
      }
    },
    close() {
      ws.terminate();
    },
  };
  return new Promise((resolve, reject) => {
    let ready = false;
    const becomeReady = () => {
      ready = true;
      resolve(client);
    };
    // The ws peer greets subscribers only; its publisher can send as soon as the socket is open.
    if (opts.kind === 'ws' && opts.role === 'pub') ws.once('open', becomeReady);
    ws.on('error', (err) => {
      if (!ready) reject(err);
    });
    ws.on('close', (code) => {
      if (!ready) reject(new Error(`closed before ready (${code})`));
    });
    ws.on('message', (data: Buffer) => {
      if (ready) {
        if (opts.kind === 'socketio' && data.length === 1 && data[0] === 0x32) ws.send('3');
        else opts.onFrame?.(data);
        return;
      }
      if (opts.kind === 'ws') return becomeReady();
      if (opts.kind === 'socketio') {
        const text = data.toString();
        if (text.startsWith('0')) ws.send('40');
        else if (text.startsWith('40')) becomeReady();
        else if (text === '2') ws.send('3');
        return;
      }
      const msg = JSON.parse(data.toString()) as { action: number; error?: { message?: string; code?: number } };
      if (msg.action === CONNECTED) {
        const attach = opts.attach ?? opts.role === 'sub';
        if (!attach && opts.role === 'sub') return becomeReady();
        // The publisher attaches in PUBLISH mode only (1 << 17), so it is not a subscriber of the channel.
        ws.send(JSON.stringify({ action: 10, channel: opts.channel, ...(opts.role === 'pub' ? { flags: 1 << 17 } : {}) }));
        if (opts.role === 'pub' && !attach) becomeReady();
      } else if (msg.action === ATTACHED) {
        becomeReady();
      } else if (msg.action === ERROR) {
        reject(new Error(`server error ${msg.error?.code}: ${msg.error?.message}`));
      }
    });
  });
}

function connectUrl(opts: RawClientOptions): string {
  const role = opts.role === 'pub' ? 'role=pub' : 'role=sub';
  if (opts.kind === 'ws') return `${opts.url}/?${role}`;
  if (opts.kind === 'socketio') return `${opts.url}/socket.io/?EIO=4&transport=websocket&${role}`;
  const params = new URLSearchParams({ key: opts.key ?? '', format: 'json', heartbeats: 'false', v: '6' });
  if (opts.role === 'pub') params.set('echo', 'false');
  return `${opts.url}/?${params}`;
}

/** Opens `count` clients with at most `concurrency` handshakes in flight; returns them and the time taken. */
export async function openMany(
  count: number,
  concurrency: number,
  make: (index: number) => Promise<RawClient>,
): Promise<{ clients: RawClient[]; elapsedMs: number; failures: number }> {
  const clients: RawClient[] = new Array(count);
  let next = 0;
  let failures = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        clients[i] = await make(i);
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { clients: clients.filter(Boolean), elapsedMs: performance.now() - started, failures };
}
