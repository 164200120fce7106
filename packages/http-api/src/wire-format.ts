import type { IncomingMessage } from 'node:http';
import { decode, encode } from '@msgpack/msgpack';
import { encodeJson, ErrorCode, ErrorInfo } from '@rowcast/protocol';

/** A REST body format. The content-type strings must be exact: the SDK compares them literally on errors. */
export type BodyFormat = 'json' | 'msgpack';
export const CONTENT_TYPES: Record<BodyFormat, string> = { json: 'application/json', msgpack: 'application/x-msgpack' };

/** The format a response should use: msgpack when the client accepts it (the Node SDK's default), JSON otherwise. */
export function responseFormat(req: IncomingMessage, url: URL): BodyFormat {
  const format = url.searchParams.get('format');
  if (format === 'msgpack' || format === 'json') return format;
  return (req.headers.accept ?? '').includes(CONTENT_TYPES.msgpack) ? 'msgpack' : 'json';
}

/** The format a request body is in, from its content-type (JSON when absent). */
export function requestFormat(req: IncomingMessage): BodyFormat {
  return (req.headers['content-type'] ?? '').includes(CONTENT_TYPES.msgpack) ? 'msgpack' : 'json';
}

/** Parses a request body; an empty body is `undefined`. Throws 40000 for malformed JSON or msgpack. */
export function decodeBody(raw: Buffer, format: BodyFormat): unknown {
  if (raw.length === 0) return undefined;
  try {
    return format === 'msgpack' ? decode(raw) : JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ErrorInfo(`Malformed ${format} request body`, ErrorCode.BAD_REQUEST, 400);
  }
}

/** Serialises a response body in `format`; binary data stays binary in msgpack and becomes base64 in JSON. */
export function encodeBody(value: unknown, format: BodyFormat): Buffer {
  if (format === 'msgpack') {
    const bytes = encode(value, { ignoreUndefined: true });
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return Buffer.from(encodeJson(value), 'utf8');
}
