import { describe, expect, it } from 'vitest';
import { Action } from './actions.js';
import { decodeFrame, encodeFrame, encodeJson } from './codec.js';
import { ErrorCode, ErrorInfo } from './errors.js';

describe('frame codec', () => {
  it('round-trips a message frame in msgpack with binary data kept binary', () => {
    const frame = { action: Action.MESSAGE, channel: 'c', messages: [{ name: 'n', data: new Uint8Array([1, 2, 3]) }] };
    const decoded = decodeFrame(encodeFrame(frame, 'msgpack'), 'msgpack');
    expect(decoded.messages?.[0].data).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('writes binary data as base64 in JSON, appending to the encoding chain', () => {
    const frame = {
      action: Action.MESSAGE,
      messages: [{ data: Buffer.from('hi') }, { data: new Uint8Array([255]), encoding: 'utf-8' }],
    };
    const json = JSON.parse(encodeFrame(frame, 'json') as string);
    expect(json.messages[0]).toEqual({ data: 'aGk=', encoding: 'base64' });
    expect(json.messages[1]).toEqual({ data: '/w==', encoding: 'utf-8/base64' });
  });

  it('writes binary data as base64 in any JSON body, such as a REST page of messages', () => {
    const page = [
      { id: 'a', data: Buffer.from('hi') },
      { id: 'b', data: 'text' },
    ];
    expect(JSON.parse(encodeJson(page))).toEqual([
      { id: 'a', data: 'aGk=', encoding: 'base64' },
      { id: 'b', data: 'text' },
    ]);
  });

  it.each([
    ['not json', '{"action":'],
    ['an array', '[1,2]'],
    ['no action', '{"channel":"x"}'],
    ['a string action', '{"action":"10"}'],
  ])('rejects %s with 40000', (_label, raw) => {
    try {
      decodeFrame(raw, 'json');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ErrorInfo);
      expect((err as ErrorInfo).code).toBe(ErrorCode.BAD_REQUEST);
    }
  });

  it('rejects garbage msgpack with 40000', () => {
    expect(() => decodeFrame(new Uint8Array([0xc1, 0xff, 0x00]), 'msgpack')).toThrow(ErrorInfo);
  });
});
