import type { EncodedFrame } from '@rowcast/core';
import type { WireFormat } from '@rowcast/protocol';

/** Content types of Comet bodies; the SDK compares them literally. */
export const CONTENT_TYPES: Record<WireFormat, string> = { json: 'application/json', msgpack: 'application/x-msgpack' };

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');
const NEWLINE = Buffer.from('\n');

/**
 * One Comet body: the frames as an array of protocol messages, which is what the SDK's comet transport decodes
 * from every recv (and streams line by line). Frames are already encoded for the connection's format, so the
 * array is assembled from their bytes without encoding them again. A JSON body ends with a newline, streamed or
 * not: the Node SDK splits a stream on newlines and never parses a last chunk without one, and it reads a
 * response as a stream whenever its `stream` param is truthy, which the string "false" is.
 */
export function batchBody(frames: EncodedFrame[], format: WireFormat): Buffer {
  if (format === 'msgpack') return Buffer.concat([msgpackArrayHeader(frames.length), ...frames.map((f) => f.payload)]);
  const parts: Uint8Array[] = [OPEN];
  frames.forEach((f, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(f.payload);
  });
  parts.push(CLOSE);
  parts.push(NEWLINE);
  return Buffer.concat(parts);
}

/** The msgpack array header for `n` items (fixarray, array 16 or array 32). */
function msgpackArrayHeader(n: number): Buffer {
  if (n < 16) return Buffer.from([0x90 | n]);
  if (n < 0x10000) {
    const b = Buffer.alloc(3);
    b[0] = 0xdc;
    b.writeUInt16BE(n, 1);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = 0xdd;
  b.writeUInt32BE(n, 1);
  return b;
}
