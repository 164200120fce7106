import type { Socket } from 'node:net';
import * as wsModule from 'ws';
import type { WebSocket } from 'ws';
import type { EncodedFrame, TransportLink } from '@rowcast/core';

/** ws's framing function (public in ws but missing from @types/ws). */
const frame = (
  (wsModule as unknown as { Sender: unknown }).Sender as {
    frame(data: Uint8Array, opts: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[];
  }
).frame;

const TEXT = 0x1;
const BINARY = 0x2;

/**
 * A TransportLink over one `ws` WebSocket. Frames are framed once (the framing is cached on the shared
 * EncodedFrame, so all subscribers of a channel reuse it) and a turn's frames go to the socket as one write:
 * one syscall per client per turn instead of one per message. This bypasses ws's Sender for data frames,
 * which is safe because permessage-deflate is off, so ws never holds frames in its own queue.
 */
export class WsLink implements TransportLink {
  private readonly socket: Socket;

  constructor(private readonly ws: WebSocket) {
    this.socket = (ws as unknown as { _socket: Socket })._socket;
  }

  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  write(frames: EncodedFrame[]): void {
    if (this.ws.readyState !== this.ws.OPEN || this.socket.destroyed) return;
    if (frames.length === 1) {
      this.socket.write(wire(frames[0]));
      return;
    }
    this.socket.write(Buffer.concat(frames.map(wire)));
  }

  close(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000);
  }

  terminate(): void {
    this.ws.terminate();
  }
}

function wire(f: EncodedFrame): Uint8Array {
  if (!f.wire) {
    const parts = frame(f.payload, { fin: true, opcode: f.binary ? BINARY : TEXT, mask: false, readOnly: true, rsv1: false });
    f.wire = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }
  return f.wire;
}
