import { nowMs } from './clock.js';

/**
 * Benchmark payloads carry their send time and sequence number as `~t=<ms>~s=<seq>~`, padded with `x` to the
 * requested size. The marker survives JSON, socket.io framing and a database row unchanged, so receivers find
 * it with a byte search instead of parsing each frame (which would make the load generator the bottleneck).
 */
export function makePayload(seq: number, bytes: number, sentAt = nowMs()): string {
  const head = `~t=${sentAt.toFixed(3)}~s=${seq}~`;
  return bytes > head.length ? head + 'x'.repeat(bytes - head.length) : head;
}

const MARK = Buffer.from('~t=');
const TILDE = 0x7e;

/**
 * Calls `onPayload(sentAt)` for each payload marker in a received frame (a frame may carry several messages)
 * and returns how many it found.
 */
export function scanFrame(frame: Buffer | string, onPayload?: (sentAt: number, seq: number) => void): number {
  const buf = typeof frame === 'string' ? Buffer.from(frame) : frame;
  let count = 0;
  let pos = buf.indexOf(MARK);
  while (pos >= 0) {
    count++;
    const tEnd = buf.indexOf(TILDE, pos + 3);
    if (onPayload && tEnd > 0) {
      const sEnd = buf.indexOf(TILDE, tEnd + 3);
      onPayload(Number(buf.toString('latin1', pos + 3, tEnd)), Number(buf.toString('latin1', tEnd + 3, sEnd)));
    }
    pos = buf.indexOf(MARK, (tEnd > 0 ? tEnd : pos) + 1);
  }
  return count;
}

/** Parses the marker out of a string (e.g. a row's column received through the SDK). */
export function parsePayload(text: string): { sentAt: number; seq: number } | undefined {
  const m = /~t=([0-9.]+)~s=(\d+)~/.exec(text);
  return m ? { sentAt: Number(m[1]), seq: Number(m[2]) } : undefined;
}
