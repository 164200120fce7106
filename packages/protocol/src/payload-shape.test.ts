import { describe, expect, it } from 'vitest';
import { encode } from '@msgpack/msgpack';
import { Action } from './actions.js';
import { encodeFrame } from './codec.js';
import { ErrorInfo } from './errors.js';
import { MAX_PAYLOAD_DEPTH, measurePayload, payloadDeliverable, requirePayloadDepth } from './payload-shape.js';

/** `{ a: { a: ... } }` nested `levels` objects deep, built without recursion. */
function nested(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: 'x' };
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
}

describe('measurePayload', () => {
  it('counts the bytes of the JSON text, as JSON.stringify writes it', () => {
    const values: unknown[] = [
      { a: 1, b: 'two', c: [true, false, null, 1.5, -3e21], d: { é: 'ünïcode "quoted" \n' } },
      [],
      {},
      [[[]], {}, ''],
      { skipped: undefined, kept: 0 },
      [undefined, NaN, Infinity],
      'plain',
      42,
    ];
    for (const v of values) expect(measurePayload(v).bytes).toBe(Buffer.byteLength(JSON.stringify(v)));
  });

  it('reports the nesting depth, a scalar being 0 and an object 1', () => {
    expect(measurePayload('x').depth).toBe(0);
    expect(measurePayload({}).depth).toBe(1);
    expect(measurePayload({ a: [1, { b: [] }] }).depth).toBe(4);
    expect(measurePayload(nested(150)).depth).toBe(MAX_PAYLOAD_DEPTH + 1);
    expect(measurePayload(nested(150)).tooDeep).toBe(true);
  });

  it('walks a value nested 200,000 levels deep without a stack overflow', () => {
    const deep = nested(200_000);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(measurePayload(deep, Infinity)).toMatchObject({ depth: 200_000, tooDeep: false });
    expect(payloadDeliverable(deep)).toBe(false);
  });

  it('accepts exactly MAX_PAYLOAD_DEPTH levels and refuses one more with 40000', () => {
    expect(() => requirePayloadDepth(nested(MAX_PAYLOAD_DEPTH), 'extras')).not.toThrow();
    let err: unknown;
    try {
      requirePayloadDepth(nested(MAX_PAYLOAD_DEPTH + 1), 'messages[0].extras');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ErrorInfo);
    expect((err as ErrorInfo).code).toBe(40000);
    expect((err as ErrorInfo).statusCode).toBe(400);
    expect((err as ErrorInfo).message).toContain('messages[0].extras');
  });

  it('allows only what both codecs can encode inside the deepest wrapping Rowcast adds', () => {
    const extras = nested(MAX_PAYLOAD_DEPTH);
    // A realtime frame, and a REST envelope around a batch answer: the deepest wrappings of a message.
    expect(() => encodeFrame({ action: Action.MESSAGE, messages: [{ extras }] }, 'msgpack')).not.toThrow();
    const batchEnvelope = { statusCode: 200, response: { results: [{ presence: [{ extras }] }] } };
    expect(() => encode({ wrap: [batchEnvelope] })).not.toThrow();
    expect(() => JSON.stringify(batchEnvelope)).not.toThrow();
  });
});
