import { ErrorCode, ErrorInfo, measurePayload, requirePayloadDepth, type Message, type MessageData } from '@rowcast/protocol';

/**
 * Checks the shape of an inbound message and brings its payload to the engine's canonical form:
 * - binary sent as base64 by a JSON client (`encoding` ending in `base64`) becomes bytes with that step removed,
 *   so msgpack subscribers get binary and JSON subscribers get base64 again from the frame encoder;
 * - object data without an encoding (hand-written REST calls) becomes a JSON string with `encoding: "json"`.
 * Throws ErrorInfo 40000 naming the bad field, also for `extras` or object data nested deeper than any client could
 * decode (MAX_PAYLOAD_DEPTH).
 */
export function normaliseMessage(raw: unknown, where: string): Message {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad(`${where} must be an object`);
  const m = raw as Record<string, unknown>;
  for (const field of ['id', 'name', 'clientId', 'encoding'] as const) {
    if (m[field] !== undefined && m[field] !== null && typeof m[field] !== 'string') {
      throw bad(`${where}.${field} must be a string`);
    }
  }
  if (m.extras !== undefined && m.extras !== null && (typeof m.extras !== 'object' || Array.isArray(m.extras) || m.extras instanceof Uint8Array)) {
    throw bad(`${where}.extras must be an object`);
  }
  requirePayloadDepth(m.extras, `${where}.extras`);
  const out: Message = {};
  if (typeof m.id === 'string') out.id = m.id;
  if (typeof m.name === 'string') out.name = m.name;
  if (typeof m.clientId === 'string') out.clientId = m.clientId;
  if (m.extras) out.extras = m.extras as Record<string, unknown>;
  const { data, encoding } = normaliseData(m.data, typeof m.encoding === 'string' ? m.encoding : undefined, where);
  if (data !== undefined && data !== null) out.data = data;
  if (encoding) out.encoding = encoding;
  return out;
}

/** Same payload rules for presence data. */
export function normaliseData(data: unknown, encoding: string | undefined, where: string): { data: MessageData; encoding?: string } {
  if (data === undefined || data === null) return { data: undefined, encoding };
  if (typeof data === 'string') {
    if (encoding && /(^|\/)base64$/.test(encoding)) {
      const rest = encoding.replace(/\/?base64$/, '');
      return { data: new Uint8Array(Buffer.from(data, 'base64')), encoding: rest || undefined };
    }
    return { data, encoding };
  }
  // A copy: a view into the received frame would keep the whole socket read buffer alive while history holds it.
  if (data instanceof Uint8Array) return { data: new Uint8Array(data), encoding };
  if (typeof data === 'object' && !encoding) {
    // Checked first: JSON.stringify of a value nested thousands deep overflows the stack.
    requirePayloadDepth(data, `${where}.data`);
    return { data: JSON.stringify(data), encoding: 'json' };
  }
  if (typeof data === 'number' || typeof data === 'boolean') return { data: JSON.stringify(data), encoding: 'json' };
  throw bad(`${where}.data has an unsupported type`);
}

/**
 * Size of a message as Ably counts it: data + name + clientId + extras (as JSON), in bytes. Measured without
 * recursion, so any value, however deep, gets a size rather than a RangeError.
 */
export function messageSize(m: { data?: MessageData; name?: string; clientId?: string; extras?: unknown }): number {
  let size = 0;
  const d = m.data;
  if (typeof d === 'string') size += Buffer.byteLength(d);
  else if (d instanceof Uint8Array) size += d.byteLength;
  else if (d !== undefined && d !== null) size += measurePayload(d, Infinity).bytes;
  if (m.name) size += Buffer.byteLength(m.name);
  if (m.clientId) size += Buffer.byteLength(m.clientId);
  if (m.extras) size += measurePayload(m.extras, Infinity).bytes;
  return size;
}

/** Throws ErrorInfo 40009 when a message (or presence message) is larger than `maxSize` bytes (messageSize). */
export function requireMessageSize(m: Parameters<typeof messageSize>[0], maxSize: number): number {
  const size = messageSize(m);
  if (size > maxSize) {
    throw new ErrorInfo(`Message size ${size} exceeds the maximum of ${maxSize} bytes`, ErrorCode.MAX_MESSAGE_LENGTH_EXCEEDED, 400);
  }
  return size;
}

function bad(message: string): ErrorInfo {
  return new ErrorInfo(message, ErrorCode.BAD_REQUEST, 400);
}
