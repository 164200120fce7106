import { encode } from '@msgpack/msgpack';

/**
 * Generators of malformed input for the fuzz test (issue 16): realtime frames in both wire formats, each with the
 * Ably error code the server must answer it with. Every frame is refused for exactly one reason (the rest of it is
 * valid, or wrong only in fields the server ignores for that action), so the expected code is certain.
 */

/** A frame ready to send, the code its ERROR or NACK must carry, and what kind of damage it has (for reports). */
export interface MalformedFrame {
  bytes: string | Uint8Array;
  code: number;
  kind: string;
}

export type Rand = () => number;
type Format = 'json' | 'msgpack';

/** What a generator needs from the socket it writes to. */
export interface FrameContext {
  format: Format;
  /** The next unused msgSerial of the socket (a refused publish still uses one). */
  msgSerial(): number;
  /** A valid channel name for frames refused for another reason. */
  channel: string;
}

const BAD_REQUEST = 40000;
const TOO_BIG = 40009;
const BAD_CHANNEL = 40010;

export function pick<T>(rand: Rand, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

function int(rand: Rand, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

/** Values of every JSON/msgpack type, for fields that must be of another one. */
function wrongValues(format: Format): unknown[] {
  const values: unknown[] = [null, true, false, 0, -1, 1.5, 2 ** 53, '', 'str', [], [1, 'a'], {}, { x: { y: 1 } }];
  if (format === 'msgpack') values.push(new Uint8Array([1, 2, 3]));
  return values;
}

/** A wrong value that is not of the types in `except` (typeof names, plus 'null', 'array', 'integer'). */
function wrong(rand: Rand, format: Format, except: string[]): unknown {
  const allowed = wrongValues(format).filter((v) => {
    const type = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
    if (except.includes(type)) return false;
    if (except.includes('integer') && Number.isInteger(v)) return false;
    if (except.includes('number') && typeof v === 'number') return false;
    return true;
  });
  return pick(rand, allowed);
}

/** ProtocolMessage fields that MESSAGE and PRESENCE (and the refused frames here) do not read: wrong types in them change nothing. */
const IGNORED_FIELDS = [
  'id',
  'count',
  'error',
  'connectionId',
  'connectionKey',
  'connectionSerial',
  'channelSerial',
  'timestamp',
  'flags',
  'connectionDetails',
  'res',
  'params',
];

/** Adds up to three ignored fields with wrong-typed values, so that every ProtocolMessage field gets them somewhere. */
function withNoise(rand: Rand, format: Format, frame: Record<string, unknown>, extra: string[] = []): Record<string, unknown> {
  const fields = [...IGNORED_FIELDS, ...extra];
  for (let n = int(rand, 0, 3); n > 0; n--) frame[pick(rand, fields)] = pick(rand, wrongValues(format));
  return frame;
}

/** `{ a: { a: ... } }` `levels` deep, as JSON text or msgpack bytes built without recursion (any depth). */
export function deepBytes(format: Format, levels: number): string | Uint8Array {
  if (format === 'json') return `${'{"a":'.repeat(levels - 1)}{"leaf":"x"}${'}'.repeat(levels - 1)}`;
  const out = new Uint8Array(3 * (levels - 1) + 8);
  for (let i = 0; i < levels - 1; i++) out.set([0x81, 0xa1, 0x61], 3 * i);
  out.set([0x81, 0xa4, 0x6c, 0x65, 0x61, 0x66, 0xa1, 0x78], 3 * (levels - 1));
  return out;
}

/**
 * Encodes `frame` with `payload` (a deep value given as text or bytes) spliced in place of the string
 * `"@DEEP@"`, so that payloads deeper than the encoders allow can still be sent.
 */
function encodeWithDeep(format: Format, frame: Record<string, unknown>, payload: string | Uint8Array): string | Uint8Array {
  if (format === 'json') return JSON.stringify(frame).replace('"@DEEP@"', payload as string);
  const bytes = encode(frame);
  const marker = encode('@DEEP@');
  const at = Buffer.from(bytes).indexOf(Buffer.from(marker));
  return Buffer.concat([bytes.subarray(0, at), payload as Uint8Array, bytes.subarray(at + marker.length)]);
}

function encodeFrame(format: Format, frame: unknown): string | Uint8Array {
  return format === 'json' ? JSON.stringify(frame) : encode(frame, { maxDepth: 1000 });
}

const BAD_CHANNEL_NAMES = [
  '',
  ':starts-with-colon',
  '[?unterminated',
  '[x]y',
  '[?rewind=1]',
  '[?a=b]:x',
  'ctl\u0001char',
  'del\u007f',
  'x'.repeat(2049),
];
/**
 * Actions a client never sends and Rowcast answers with 40000. Not here: the actions only a server sends (ACK,
 * NACK, CONNECTED, DISCONNECTED, CLOSED, ERROR, ATTACHED, DETACHED), which are ignored (a NACK for a client's
 * ACK would fail whatever the SDK has pending under that msgSerial), and SYNC, which a client may send
 * (`channel.sync()`, RTP19) and which is answered with the members.
 */
const NOT_CLIENT_ACTIONS = [3, 5, 18, 22, 50, 99, 255, -1, 2 ** 31, -(2 ** 31), 1e15];

type Generator = (rand: Rand, ctx: FrameContext) => MalformedFrame;

/** A publish (MESSAGE) or presence enter (PRESENCE) frame around one item, refused for the reason in `item` or the frame. */
function itemFrame(ctx: FrameContext, presence: boolean, item: unknown, over: Record<string, unknown> = {}): Record<string, unknown> {
  return presence
    ? { action: 14, channel: ctx.channel, msgSerial: ctx.msgSerial(), presence: [item], ...over }
    : { action: 15, channel: ctx.channel, msgSerial: ctx.msgSerial(), messages: [item], ...over };
}

const GENERATORS: Array<[weight: number, Generator]> = [
  // msgSerial of the wrong type: ERROR 40000 (nothing acknowledged, so no msgSerial used)
  [
    6,
    (rand, ctx) => {
      const presence = rand() < 0.5;
      const frame: Record<string, unknown> = presence
        ? { action: 14, channel: ctx.channel, presence: [{ action: 2, data: 'x' }] }
        : { action: 15, channel: ctx.channel, messages: [{ name: 'n', data: 'x' }] };
      if (rand() < 0.8) frame.msgSerial = wrong(rand, ctx.format, presence ? ['number'] : ['integer']);
      return { bytes: encodeFrame(ctx.format, withNoise(rand, ctx.format, frame)), code: BAD_REQUEST, kind: 'msgSerial' };
    },
  ],
  // channel of the wrong type or an invalid name: NACK / ERROR 40010
  [
    10,
    (rand, ctx) => {
      const channel = rand() < 0.5 ? wrong(rand, ctx.format, ['string']) : pick(rand, BAD_CHANNEL_NAMES);
      const r = rand();
      let frame: Record<string, unknown>;
      if (r < 0.4) frame = itemFrame(ctx, false, { name: 'n', data: 'x' }, { channel });
      else if (r < 0.7) frame = itemFrame(ctx, true, { action: 2, data: 'x' }, { channel });
      else frame = { action: 10, channel, flags: pick(rand, wrongValues(ctx.format)), params: pick(rand, wrongValues(ctx.format)) };
      if (rand() < 0.1) delete frame.channel;
      return { bytes: encodeFrame(ctx.format, withNoise(rand, ctx.format, frame)), code: BAD_CHANNEL, kind: 'channel' };
    },
  ],
  // messages / presence not a non-empty array, or an item not an object: NACK 40000
  [
    8,
    (rand, ctx) => {
      const presence = rand() < 0.5;
      const field = presence ? 'presence' : 'messages';
      const frame = itemFrame(ctx, presence, null);
      if (rand() < 0.5) frame[field] = rand() < 0.2 ? [] : wrong(rand, ctx.format, ['array']);
      else frame[field] = [wrong(rand, ctx.format, ['object'])];
      if (rand() < 0.1) delete frame[field];
      return {
        bytes: encodeFrame(ctx.format, withNoise(rand, ctx.format, frame, [presence ? 'messages' : 'presence', 'auth'])),
        code: BAD_REQUEST,
        kind: field,
      };
    },
  ],
  // one field of a message of the wrong type: NACK 40000
  [
    10,
    (rand, ctx) => {
      const field = pick(rand, ['id', 'name', 'clientId', 'encoding', 'extras', 'data']);
      const item: Record<string, unknown> = { name: 'n', data: 'x' };
      if (field === 'extras') item.extras = wrong(rand, ctx.format, ['object', 'null']);
      else if (field === 'data') Object.assign(item, { data: { a: 1 }, encoding: pick(rand, ['utf-8', 'json', 'cipher']) });
      else item[field] = wrong(rand, ctx.format, ['string', 'null']);
      return {
        bytes: encodeFrame(ctx.format, withNoise(rand, ctx.format, itemFrame(ctx, false, item), ['presence', 'auth'])),
        code: BAD_REQUEST,
        kind: `message.${field}`,
      };
    },
  ],
  // one field of a presence message wrong: NACK 40000
  [
    8,
    (rand, ctx) => {
      const field = pick(rand, ['action', 'encoding', 'extras', 'data']);
      const item: Record<string, unknown> = { action: 2, data: 'x' };
      if (field === 'action') item.action = rand() < 0.5 ? pick(rand, [0, 1, 5, 99, -1, 1.5]) : wrong(rand, ctx.format, ['number']);
      else if (field === 'extras') item.extras = wrong(rand, ctx.format, ['object', 'null']);
      else if (field === 'encoding') item.encoding = wrong(rand, ctx.format, ['string', 'null']);
      else Object.assign(item, { data: [1, { a: 2 }], encoding: 'utf-8' });
      return {
        bytes: encodeFrame(ctx.format, withNoise(rand, ctx.format, itemFrame(ctx, true, item), ['messages', 'auth'])),
        code: BAD_REQUEST,
        kind: `presence.${field}`,
      };
    },
  ],
  // extras or object data nested past the limit (65 to 400 levels, sometimes 20,000): NACK 40000
  [
    8,
    (rand, ctx) => {
      const presence = rand() < 0.5;
      const field = rand() < 0.6 ? 'extras' : 'data';
      const levels = rand() < 0.02 ? 20_000 : int(rand, 65, 400);
      const item: Record<string, unknown> = presence ? { action: pick(rand, [2, 4]) } : { name: 'deep' };
      item[field] = '@DEEP@';
      return {
        bytes: encodeWithDeep(ctx.format, itemFrame(ctx, presence, item), deepBytes(ctx.format, levels)),
        code: BAD_REQUEST,
        kind: `deep ${field}`,
      };
    },
  ],
  // larger than maxMessageSize (64 KiB), well under the frame limit: NACK 40009
  [
    1,
    (rand, ctx) => {
      const presence = rand() < 0.5;
      const size = int(rand, 65_537, 90_000);
      const r = rand();
      const item: Record<string, unknown> = presence ? { action: 2 } : { name: 'big' };
      if (r < 0.6) item.data = 'x'.repeat(size);
      else if (r < 0.8) item.extras = { blob: 'y'.repeat(size) };
      else if (!presence) item.name = 'n'.repeat(size);
      // binary only in msgpack: JSON would write a Uint8Array as an object of 70,000 fields, past the frame limit
      else item.data = ctx.format === 'msgpack' ? new Uint8Array(size) : 'z'.repeat(size);
      return { bytes: encodeFrame(ctx.format, itemFrame(ctx, presence, item)), code: TOO_BIG, kind: 'oversize' };
    },
  ],
  // an action a client never sends, or none that is an integer: ERROR 40000
  [
    8,
    (rand, ctx) => {
      const action = rand() < 0.7 ? pick(rand, NOT_CLIENT_ACTIONS) : wrong(rand, ctx.format, ['integer']);
      const frame: Record<string, unknown> = { action, channel: ctx.channel, msgSerial: 0, messages: [{ data: 'x' }] };
      if (rand() < 0.1) delete frame.action;
      return { bytes: encodeFrame(ctx.format, withNoise(rand, ctx.format, frame, ['presence', 'auth'])), code: BAD_REQUEST, kind: 'action' };
    },
  ],
  // AUTH without a token string: ERROR 40000
  [
    3,
    (rand, ctx) => {
      const auth = rand() < 0.5 ? wrong(rand, ctx.format, ['object']) : { accessToken: rand() < 0.3 ? '' : wrong(rand, ctx.format, ['string']) };
      return { bytes: encodeFrame(ctx.format, withNoise(rand, ctx.format, { action: 17, auth })), code: BAD_REQUEST, kind: 'auth' };
    },
  ],
  // not a protocol message at all: truncated, random bytes, another type, nested arrays: ERROR 40000
  [12, (rand, ctx) => ({ bytes: notAFrame(rand, ctx), code: BAD_REQUEST, kind: 'undecodable' })],
];

function notAFrame(rand: Rand, ctx: FrameContext): string | Uint8Array {
  const valid = encodeFrame(ctx.format, {
    action: 15,
    channel: ctx.channel,
    msgSerial: 1,
    messages: [{ name: 'n', data: 'd'.repeat(int(rand, 0, 40)) }],
  });
  const r = rand();
  if (r < 0.35) return valid.slice(0, int(rand, 0, valid.length - 1)); // truncated
  if (r < 0.55) {
    const bytes = new Uint8Array(int(rand, 1, 300)).map(() => Math.floor(rand() * 256));
    bytes[0] = ctx.format === 'json' ? 0x7d /* } */ : 0xc1; /* never used in msgpack */
    return bytes;
  }
  if (r < 0.6) {
    const levels = int(rand, 100, 30_000);
    if (ctx.format === 'json') return `${'['.repeat(levels)}${']'.repeat(levels)}`;
    return new Uint8Array(levels + 1).fill(0x91, 0, levels); // [[[...[0]...]]]
  }
  return encodeFrame(ctx.format, pick(rand, [null, 12, 'str', [], [{ action: 15 }], true, 1.5]));
}

const TOTAL_WEIGHT = GENERATORS.reduce((sum, [w]) => sum + w, 0);

/** One malformed frame, drawn by weight from the kinds above. */
export function malformedFrame(rand: Rand, ctx: FrameContext): MalformedFrame {
  let r = rand() * TOTAL_WEIGHT;
  for (const [weight, generate] of GENERATORS) {
    r -= weight;
    if (r < 0) return generate(rand, ctx);
  }
  return GENERATORS[GENERATORS.length - 1]![1](rand, ctx);
}
