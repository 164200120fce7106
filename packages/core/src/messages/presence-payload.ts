import { ErrorCode, ErrorInfo, requirePayloadDepth, type MessageData } from '@rowcast/protocol';
import { normaliseData, requireMessageSize } from './normalise.js';

/** The client-supplied payload of a presence message, as the engine keeps it. */
export interface PresencePayload {
  data?: MessageData;
  encoding?: string;
  extras?: Record<string, unknown>;
}

/**
 * Checks and normalises the payload of one inbound presence message (`where` names it, e.g. `presence[0]`) with
 * the rules of a message: `encoding` a string, `extras` an object nested no deeper than MAX_PAYLOAD_DEPTH, data
 * as normaliseData makes it, and data + clientId + extras within `maxSize` bytes. Throws ErrorInfo 40000 / 40009,
 * so a presence message no client could decode is refused before it reaches the member set or history.
 */
export function presencePayload(
  raw: { data?: unknown; encoding?: unknown; extras?: unknown },
  where: string,
  clientId: string,
  maxSize: number,
): PresencePayload {
  const { encoding: rawEncoding, extras } = raw;
  if (rawEncoding !== undefined && rawEncoding !== null && typeof rawEncoding !== 'string') throw bad(`${where}.encoding must be a string`);
  if (extras !== undefined && extras !== null && (typeof extras !== 'object' || Array.isArray(extras) || extras instanceof Uint8Array)) {
    throw bad(`${where}.extras must be an object`);
  }
  requirePayloadDepth(extras, `${where}.extras`);
  const { data, encoding } = normaliseData(raw.data, typeof rawEncoding === 'string' ? rawEncoding : undefined, where);
  const out: PresencePayload = {};
  if (data !== undefined) out.data = data;
  if (encoding) out.encoding = encoding;
  if (extras) out.extras = extras as Record<string, unknown>;
  requireMessageSize({ ...out, clientId }, maxSize);
  return out;
}

function bad(message: string): ErrorInfo {
  return new ErrorInfo(message, ErrorCode.BAD_REQUEST, 400);
}
