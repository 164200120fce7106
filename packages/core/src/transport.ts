import type { WireFormat } from '@rowcast/protocol';

/**
 * A frame encoded for one wire format. Built once per format per channel event and shared by every subscriber;
 * the transport may cache its own framing of it in `wire` (e.g. WebSocket header + payload) so that work is
 * shared too.
 */
export interface EncodedFrame {
  payload: Uint8Array;
  /** msgpack frames are binary; JSON frames are text. */
  binary: boolean;
  /** Transport-owned cache of the framed bytes. */
  wire?: Uint8Array;
}

/** What the engine needs from one client transport (a WebSocket). */
export interface TransportLink {
  /** Writes frames in order. The engine calls it at most once per event-loop turn per connection. */
  write(frames: EncodedFrame[]): void;
  /** Bytes handed to `write` that have not reached the network yet. */
  readonly pendingBytes: number;
  /** Closes after what was written is flushed. */
  close(): void;
  /** Drops the transport at once, discarding unsent data. */
  terminate(): void;
}

/** Connection parameters from the WebSocket URL (Ably's names). */
export interface ConnectParams {
  key?: string;
  accessToken?: string;
  clientId?: string;
  /** false when the client asked not to receive its own messages (`echo=false`). */
  echo: boolean;
  format: WireFormat;
  /** true when the client wants HEARTBEAT frames rather than transport pings. */
  heartbeats: boolean;
  resume?: string;
  recover?: string;
  /** Protocol version the client speaks (`v`). */
  version?: string;
  agent?: string;
}
