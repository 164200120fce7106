import { describe, expect, it } from 'vitest';
import * as Ably from 'ably';
import { buildEnvelope, decodeData, encodeData, envelopeMessage, envelopePresence, unenvelopedRequest, type EnvelopeMeta } from './envelope.js';

const meta: EnvelopeMeta = { source: 'channel.message', appId: 'app1', channel: 'orders:1', site: 'here', ruleId: 'r1' };

describe('encodeData', () => {
  it('keeps strings and their encoding, turns objects into JSON and bytes into base64', () => {
    expect(encodeData('hi')).toEqual({ data: 'hi' });
    expect(encodeData('{"a":1}', 'json')).toEqual({ data: '{"a":1}', encoding: 'json' });
    expect(encodeData({ a: 1 })).toEqual({ data: '{"a":1}', encoding: 'json' });
    expect(encodeData([1, 2])).toEqual({ data: '[1,2]', encoding: 'json' });
    expect(encodeData(new Uint8Array([1, 2, 255]))).toEqual({ data: 'AQL/', encoding: 'base64' });
    expect(encodeData(new Uint8Array([104, 105]), 'utf-8')).toEqual({ data: 'aGk=', encoding: 'utf-8/base64' });
    expect(encodeData(null)).toEqual({});
    expect(encodeData(undefined, 'json')).toEqual({ encoding: 'json' });
  });

  it('encodes a Buffer that is a view into a larger pool by its own bytes only', () => {
    const pool = Buffer.from([9, 9, 1, 2, 3, 9]);
    expect(encodeData(pool.subarray(2, 5))).toEqual({ data: Buffer.from([1, 2, 3]).toString('base64'), encoding: 'base64' });
  });
});

describe('envelopes', () => {
  it('builds the shape Ably sends, which the SDK decodes back to the published data', async () => {
    const item = envelopeMessage({
      id: 'c1:0:0',
      timestamp: 1700000000000,
      serial: 's',
      clientId: 'alice',
      connectionId: 'c1',
      name: 'chatMsg',
      data: new Uint8Array([7, 8]),
    });
    const envelope = buildEnvelope(meta, item);
    expect(envelope).toEqual({
      source: 'channel.message',
      appId: 'app1',
      channel: 'orders:1',
      site: 'here',
      ruleId: 'r1',
      messages: [
        { id: 'c1:0:0', clientId: 'alice', connectionId: 'c1', timestamp: 1700000000000, name: 'chatMsg', data: 'Bwg=', encoding: 'base64' },
      ],
    });
    const [decoded] = await Ably.Realtime.Message.fromEncodedArray(envelope.messages!);
    expect(Buffer.from(decoded.data as Uint8Array)).toEqual(Buffer.from([7, 8]));
  });

  it('puts presence events under `presence` with the numeric action', () => {
    const item = envelopePresence({ id: 'c1:1:0', timestamp: 1, action: 2, clientId: 'bob', connectionId: 'c1', data: { u: 'bob' } });
    const envelope = buildEnvelope({ ...meta, source: 'channel.presence' }, item);
    expect(envelope.presence).toEqual([
      { id: 'c1:1:0', clientId: 'bob', connectionId: 'c1', timestamp: 1, action: 2, data: '{"u":"bob"}', encoding: 'json' },
    ]);
    expect(envelope.messages).toBeUndefined();
  });
});

describe('non-enveloped payloads', () => {
  it('decodes data for functions: JSON parsed, base64 to a Buffer, utf-8 bytes to text', () => {
    expect(decodeData({ id: 'x', timestamp: 1, data: '{"a":1}', encoding: 'json' })).toEqual({ a: 1 });
    expect(decodeData({ id: 'x', timestamp: 1, data: 'AQI=', encoding: 'base64' })).toEqual(Buffer.from([1, 2]));
    expect(decodeData({ id: 'x', timestamp: 1, data: 'aGk=', encoding: 'utf-8/base64' })).toBe('hi');
    expect(decodeData({ id: 'x', timestamp: 1, data: 'plain' })).toBe('plain');
    expect(decodeData({ id: 'x', timestamp: 1, data: 'abc', encoding: 'cipher+aes-128-cbc/base64' })).toEqual(Buffer.from('abc', 'base64'));
  });

  it('moves the envelope into x-ably-* headers, body is the bare data', () => {
    const { body, headers } = unenvelopedRequest(meta, {
      id: 'c1:0:0',
      timestamp: 5,
      clientId: 'alice',
      connectionId: 'c1',
      name: 'ünïcode\nname',
      data: '{"a":1}',
      encoding: 'json',
    });
    expect(body.toString()).toBe('{"a":1}');
    expect(headers).toEqual({
      'content-type': 'application/json',
      'x-ably-version': '1.2',
      'x-ably-envelope-appid': 'app1',
      'x-ably-envelope-channel': 'orders:1',
      'x-ably-envelope-rule-id': 'r1',
      'x-ably-envelope-site': 'here',
      'x-ably-envelope-source': 'channel.message',
      'x-ably-message-id': 'c1:0:0',
      'x-ably-message-timestamp': '5',
      'x-ably-message-encoding': 'json',
      'x-ably-message-client-id': 'alice',
      'x-ably-message-connection-id': 'c1',
      // not printable ASCII: percent-encoded, never a header split
      'x-ably-message-name': encodeURIComponent('ünïcode\nname'),
    });
  });

  it('sends binary as raw bytes and text as text/plain; presence gets its action name', () => {
    const binary = unenvelopedRequest(meta, { id: 'i', timestamp: 1, data: 'AP8=', encoding: 'base64' });
    expect(binary.body).toEqual(Buffer.from([0, 255]));
    expect(binary.headers['content-type']).toBe('application/octet-stream');
    expect(binary.headers['x-ably-message-encoding']).toBeUndefined();
    const text = unenvelopedRequest(meta, { id: 'i', timestamp: 1, data: 'hello' });
    expect(text.headers['content-type']).toBe('text/plain');
    const presence = unenvelopedRequest(
      { ...meta, source: 'channel.presence' },
      { id: 'i', timestamp: 1, clientId: 'b', connectionId: 'c', action: 3 },
    );
    expect(presence.headers['x-ably-message-name']).toBe('leave');
    expect(presence.body.length).toBe(0);
  });
});
