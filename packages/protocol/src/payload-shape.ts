import { ErrorCode, ErrorInfo } from './errors.js';

/**
 * Deepest nesting of objects and arrays accepted inside one field of a message or presence message (`extras`,
 * object `data`), counting the field's own object as 1. Ably documents no number; the bound that matters is that
 * every client can decode what is delivered: @msgpack/msgpack's encoder refuses past depth 100 of the whole frame
 * (ProtocolMessage -> messages -> message -> extras already takes 3 levels; REST batch answers and rule envelopes
 * take up to 6), and JSON.stringify overflows the stack a few thousand levels down. 64 leaves room for every
 * wrapping Rowcast puts around a message.
 */
export const MAX_PAYLOAD_DEPTH = 64;

/** What measurePayload found. */
export interface PayloadShape {
  /** Bytes of the value as JSON text (binary counted as its byte length), as Ably counts a message's size. */
  bytes: number;
  /** Deepest nesting of objects and arrays (a scalar is 0), or the first depth past the limit when `tooDeep`. */
  depth: number;
  /** Nested deeper than the limit; `bytes` then covers only what was walked. */
  tooDeep: boolean;
}

interface Pending {
  value: unknown;
  depth: number;
}

/**
 * Measures a JSON-like value with an explicit stack rather than recursion, so a hostile value nested thousands of
 * levels deep costs a loop, not a stack overflow (RangeError) as JSON.stringify or a recursive walk would. The
 * walk stops at the first container deeper than `maxDepth`.
 */
export function measurePayload(value: unknown, maxDepth: number = MAX_PAYLOAD_DEPTH): PayloadShape {
  let bytes = 0;
  let deepest = 0;
  const stack: Pending[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (v === null || v === undefined)
      bytes += 4; // `null` (an undefined array item is written as null)
    else if (typeof v === 'string') bytes += Buffer.byteLength(JSON.stringify(v));
    else if (typeof v === 'number') bytes += Number.isFinite(v) ? String(v).length : 4;
    else if (typeof v === 'boolean') bytes += v ? 4 : 5;
    else if (v instanceof Uint8Array) bytes += v.byteLength;
    else if (typeof v === 'object') {
      const level = depth + 1;
      if (level > maxDepth) return { bytes, depth: level, tooDeep: true };
      if (level > deepest) deepest = level;
      if (Array.isArray(v)) {
        bytes += 2 + Math.max(0, v.length - 1);
        for (const item of v) stack.push({ value: item, depth: level });
      } else {
        let fields = 0;
        for (const [key, item] of Object.entries(v)) {
          if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
          fields++;
          bytes += Buffer.byteLength(JSON.stringify(key)) + 1;
          stack.push({ value: item, depth: level });
        }
        bytes += 2 + Math.max(0, fields - 1);
      }
    } else bytes += String(v).length; // bigint: not produced by either decoder, counted as its digits
  }
  return { bytes, depth: deepest, tooDeep: false };
}

/**
 * Throws ErrorInfo 40000 when `value` (a field named `where`, e.g. `messages[0].extras`) nests deeper than
 * MAX_PAYLOAD_DEPTH: such a message could not be delivered to every client, so it must not be accepted.
 */
export function requirePayloadDepth(value: unknown, where: string): void {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
  if (measurePayload(value).tooDeep) {
    throw new ErrorInfo(`${where} nests deeper than ${MAX_PAYLOAD_DEPTH} levels`, ErrorCode.BAD_REQUEST, 400);
  }
}

/** True when a field's value can be delivered: not nested deeper than MAX_PAYLOAD_DEPTH. */
export function payloadDeliverable(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return true;
  return !measurePayload(value).tooDeep;
}
