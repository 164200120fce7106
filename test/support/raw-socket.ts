import { WebSocket } from 'ws';
import { decode, encode } from '@msgpack/msgpack';

/** Deterministic pseudo-random numbers in [0, 1), so a failure can be reproduced from its seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A protocol message as a raw socket test reads it. */
export interface RawFrame {
  action: number;
  msgSerial?: number;
  count?: number;
  channel?: string;
  error?: { code: number; statusCode?: number; message?: string };
  [field: string]: unknown;
}

/** A WebSocket speaking Ably's protocol by hand, bypassing the SDK's own checks. */
export interface RawSocket {
  ws: WebSocket;
  format: 'json' | 'msgpack';
  /** Every frame received, decoded. */
  frames: RawFrame[];
  /** Error codes of the ERROR (9) and NACK (2) frames received. */
  errors: number[];
  closed(): boolean;
  /** Sends a frame in the socket's format (msgpack without the encoder's depth limit, to send what an attacker would). */
  send(frame: unknown): void;
  /** Waits for a received frame matching `pred`. */
  next(pred: (f: RawFrame) => boolean, what: string, timeoutMs?: number): Promise<RawFrame>;
}

/** Opens a raw socket with the given key (and extra URL params), resolved once the socket is open. */
export async function rawSocket(
  server: { port: number },
  key: string,
  format: 'json' | 'msgpack',
  params: Record<string, string> = {},
): Promise<RawSocket> {
  const q = new URLSearchParams({ key, format, v: '6', ...params });
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/?${q.toString()}`);
  const frames: RawFrame[] = [];
  const errors: number[] = [];
  const waiters = new Set<() => void>();
  let closed = false;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    try {
      const pm = (isBinary ? decode(data) : JSON.parse(data.toString())) as RawFrame;
      frames.push(pm);
      if (pm.action === 9 || pm.action === 2) errors.push(pm.error?.code ?? 0);
    } catch {
      /* a test reads only what decodes */
    }
    for (const wake of waiters) wake();
  });
  ws.on('close', () => {
    closed = true;
    for (const wake of waiters) wake();
  });
  await new Promise((ok, fail) => {
    ws.once('open', ok);
    ws.once('error', fail);
  });
  return {
    ws,
    format,
    frames,
    errors,
    closed: () => closed,
    send(frame) {
      ws.send(format === 'msgpack' ? Buffer.from(encode(frame, { maxDepth: 1_000_000 })) : JSON.stringify(frame));
    },
    next(pred, what, timeoutMs = 15_000) {
      return new Promise((ok, fail) => {
        const check = () => {
          const found = frames.find(pred);
          if (found) done(() => ok(found));
          else if (closed) done(() => fail(new Error(`socket closed before ${what}`)));
        };
        const timer = setTimeout(() => done(() => fail(new Error(`Timed out waiting for ${what}`))), timeoutMs);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** `{ a: { a: ... { leaf: 'x' } } }`, `levels` objects deep, built without recursion. */
export function deepObject(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: 'x' };
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
}

/** How many `{ a: ... }` objects deep a value made by deepObject is, counted without recursion. */
export function deepObjectLevels(value: unknown): number {
  let depth = 0;
  for (let v = value as { a?: unknown } | undefined; v && typeof v === 'object'; v = v.a as typeof v) depth++;
  return depth;
}
