import { expect, it } from 'vitest';
import { decodeFrame, encodeFrame, type WireFormat } from '@rowcast/protocol';
import { createAuthenticator } from './auth/index.js';
import { RealtimeNode } from './node.js';
import type { EncodedFrame, TransportLink } from './transport.js';

/** A transport that records what the engine writes to it, write call by write call. */
class RecordingLink implements TransportLink {
  readonly writes: EncodedFrame[][] = [];
  pendingBytes = 0;
  write(frames: EncodedFrame[]): void {
    this.writes.push(frames);
  }
  close(): void {}
  terminate(): void {}
}

const nextTurn = () => new Promise((r) => setImmediate(r));

it('encodes a message once per wire format and writes each connection one batch per event-loop turn', async () => {
  const auth = createAuthenticator({ keys: [{ name: 'a.b', secret: 'secretsecret', capability: { '*': ['*'] } }] });
  const node = new RealtimeNode({ auth });
  const formats: WireFormat[] = ['json', 'json', 'json', 'msgpack', 'msgpack'];
  const links = formats.map((format) => {
    const link = new RecordingLink();
    const handle = node.connect({ key: 'a.b:secretsecret', echo: true, format, heartbeats: false }, link);
    handle.receive(encodeFrame({ action: 10, channel: 'fan' }, format));
    return { link, format };
  });
  await nextTurn();
  for (const { link, format } of links) {
    const frames = link.writes.flat().map((f) => decodeFrame(f.payload, format));
    expect(frames.map((f) => f.action)).toEqual([4, 11]); // CONNECTED, ATTACHED
    link.writes.length = 0;
  }

  // Five publishes in one turn.
  await Promise.all(Array.from({ length: 5 }, (_, i) => node.publish('fan', [{ name: 'n', data: String(i) }], {})));
  await nextTurn();

  for (const { link } of links) {
    expect(link.writes).toHaveLength(1); // one write for the whole turn
    expect(link.writes[0]).toHaveLength(5);
  }
  // The very same frame objects (and so the same bytes, and the transport's cached framing) for every subscriber
  // of a format.
  for (let i = 0; i < 5; i++) {
    const json = links.filter((l) => l.format === 'json').map((l) => l.link.writes[0][i]);
    const msgpack = links.filter((l) => l.format === 'msgpack').map((l) => l.link.writes[0][i]);
    expect(new Set(json).size).toBe(1);
    expect(new Set(msgpack).size).toBe(1);
    expect(decodeFrame(json[0].payload, 'json').messages?.[0].data).toBe(String(i));
  }
  await node.close();
});
