import { Decoder, Encoder } from '@msgpack/msgpack';
import { ErrorCode, ErrorInfo } from './errors.js';
import type { ProtocolMessage } from './types.js';

/** Wire formats a connection may choose with `format=`. */
export type WireFormat = 'json' | 'msgpack';

// Encoders keep internal buffers; one shared instance each avoids allocation per frame.
const msgpackEncoder = new Encoder({ ignoreUndefined: true });
const msgpackDecoder = new Decoder();

/**
 * Encodes a protocol message for the wire. JSON frames are strings (sent as WebSocket text), msgpack frames
 * are binary. Binary `data` in JSON is base64 with `encoding: "base64"`, as the SDK expects.
 */
export function encodeFrame(msg: ProtocolMessage, format: WireFormat): string | Uint8Array {
  if (format === 'msgpack') return msgpackEncoder.encode(msg);
  return encodeJson(msg);
}

/**
 * Serialises a value as JSON the SDK understands: binary `data` of any message-like object becomes base64 with
 * `base64` appended to its `encoding` (used for realtime frames and REST bodies alike).
 */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, jsonBinaryReplacer);
}

/**
 * Decodes one frame. Throws ErrorInfo 40000 for anything that is not a protocol message object with a
 * numeric action; callers answer with an ERROR and keep the connection's other work going.
 */
export function decodeFrame(raw: string | Uint8Array, format: WireFormat): ProtocolMessage {
  let value: unknown;
  try {
    if (format === 'msgpack') {
      value = msgpackDecoder.decode(typeof raw === 'string' ? Buffer.from(raw) : raw);
    } else {
      value = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8'));
    }
  } catch {
    throw new ErrorInfo(`Malformed ${format} frame`, ErrorCode.BAD_REQUEST, 400);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ErrorInfo('A protocol message must be an object', ErrorCode.BAD_REQUEST, 400);
  }
  const action = (value as { action?: unknown }).action;
  if (typeof action !== 'number' || !Number.isInteger(action)) {
    throw new ErrorInfo('A protocol message needs an integer action', ErrorCode.BAD_REQUEST, 400);
  }
  return value as ProtocolMessage;
}

/**
 * JSON has no binary type: the SDK sends and expects base64 with `encoding: "base64"` appended to any
 * existing encoding chain. Rewrites message-like objects holding binary data. (Buffer's own toJSON runs
 * before a replacer sees the `data` key, so the rewrite happens one level up, on the holder.)
 */
function jsonBinaryReplacer(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array)) {
    const m = value as { data?: unknown; encoding?: string | null };
    if (m.data instanceof Uint8Array) {
      const b64 = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength).toString('base64');
      return { ...m, data: b64, encoding: m.encoding ? `${m.encoding}/base64` : 'base64' };
    }
  }
  return value;
}
