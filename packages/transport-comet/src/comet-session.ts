import type { ServerResponse } from 'node:http';
import type { ConnectionHandle, EncodedFrame, TransportLink } from '@rowcast/core';
import type { WireFormat } from '@rowcast/protocol';
import { batchBody, CONTENT_TYPES } from './frame-batch.js';

export interface CometSessionOptions {
  format: WireFormat;
  /** Whether recv answers stream (chunked, one JSON array per line) or answer once (a long poll). */
  streamed: boolean;
  /** Longest a recv is held open before it is answered empty (poll) or ended (stream). */
  pollTimeoutMs: number;
  /** With no recv waiting for this long, the client is gone: the transport is dropped as a dead socket is. */
  idleTimeoutMs: number;
  /** The session's connection key became known: requests naming it find this session from now on. */
  onKey(session: CometSession, key: string): void;
  /** The session ended (its key must no longer find it). */
  onEnd(session: CometSession): void;
}

/** A recv (or the connect request, which is the first recv) waiting for frames. */
interface PendingRecv {
  res: ServerResponse;
  timer: NodeJS.Timeout;
}

/** Headers no proxy may cache: every Comet answer is for one client, once. */
const NO_STORE = { 'cache-control': 'no-cache, no-store' };

/**
 * One Comet transport of a connection: the TransportLink the engine writes to, made of successive HTTP
 * requests. Frames written while a recv is waiting go out at once (a poll is answered and ends, a stream gets a
 * line); frames written between two recvs wait here for the next one. A client that stops polling is detected by
 * the idle timer and dropped like a socket that closed, so its connection waits for a resume as usual.
 */
export class CometSession implements TransportLink {
  /** The engine's side, set once the connection is opened (frames may be written before: a refusal). */
  handle: ConnectionHandle | undefined;
  /** The connection key this session answers to, once the connection has one. */
  key: string | undefined;
  private buffer: EncodedFrame[] = [];
  private bufferedBytes = 0;
  private recv: PendingRecv | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** The engine closed this transport: deliver what is buffered, then end. */
  private closing = false;
  private ended = false;

  constructor(private readonly opts: CometSessionOptions) {}

  get format(): WireFormat {
    return this.opts.format;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get pendingBytes(): number {
    return this.bufferedBytes + (this.recv?.res.writableLength ?? 0);
  }

  write(frames: EncodedFrame[]): void {
    if (this.ended) return;
    this.learnKey();
    if (this.recv) {
      this.deliver(this.recv, frames);
      return;
    }
    for (const f of frames) {
      this.buffer.push(f);
      this.bufferedBytes += f.payload.byteLength;
    }
  }

  close(): void {
    if (this.ended || this.closing) return;
    this.closing = true;
    // Frames written before the close went to the waiting recv if there was one; a recv still waiting now has
    // nothing more to get. Without a recv, the buffered frames (DISCONNECTED, say) wait for the next one.
    if (this.recv) this.endRecv();
    else if (this.buffer.length === 0) this.end(false);
  }

  terminate(): void {
    if (this.ended) return;
    const recv = this.recv;
    this.recv = undefined;
    if (recv) {
      clearTimeout(recv.timer);
      recv.res.destroy();
    }
    this.end(false);
  }

  /**
   * A recv (or the connect request) arrived: it gets what is buffered now, or waits for the next frames, at
   * most `pollTimeoutMs`. A recv still waiting is answered empty first: the client gave up on it.
   */
  attachRecv(res: ServerResponse): void {
    if (this.recv) this.endRecv();
    if (this.ended) {
      // Ending that older recv ended a closing session: nothing is left for this one either.
      res.writeHead(204, NO_STORE).end();
      return;
    }
    clearTimeout(this.idleTimer);
    const recv: PendingRecv = { res, timer: setTimeout(() => this.recv === recv && this.endRecv(), this.opts.pollTimeoutMs) };
    this.recv = recv;
    res.on('close', () => {
      // The client went away before the answer (its request aborted or timed out).
      if (this.recv !== recv) return;
      clearTimeout(recv.timer);
      this.recv = undefined;
      this.afterRecv();
    });
    if (this.opts.streamed) res.writeHead(200, { 'content-type': CONTENT_TYPES[this.opts.format], ...NO_STORE });
    if (this.buffer.length > 0) {
      const frames = this.buffer;
      this.buffer = [];
      this.bufferedBytes = 0;
      this.deliver(recv, frames);
    }
    if (this.closing && this.recv === recv) this.endRecv();
  }

  /** The client said it is dropping this transport (`/disconnect`): as a socket closing. */
  dropByClient(): void {
    if (this.ended) return;
    if (this.recv) this.endRecv();
    this.end(true);
  }

  private deliver(recv: PendingRecv, frames: EncodedFrame[]): void {
    const body = batchBody(frames, this.opts.format);
    if (this.opts.streamed) {
      recv.res.write(body);
      return;
    }
    clearTimeout(recv.timer);
    this.recv = undefined;
    recv.res.writeHead(200, { 'content-type': CONTENT_TYPES[this.opts.format], 'content-length': body.length, ...NO_STORE }).end(body);
    this.afterRecv();
  }

  /** Ends the waiting recv: a stream just ends, a poll with nothing to say answers 204 (the SDK polls again). */
  private endRecv(): void {
    const recv = this.recv;
    if (!recv) return;
    clearTimeout(recv.timer);
    this.recv = undefined;
    if (this.opts.streamed) recv.res.end();
    else recv.res.writeHead(204, NO_STORE).end();
    this.afterRecv();
  }

  /** Between two recvs: a closing session with nothing left to deliver ends; otherwise the next recv is awaited. */
  private afterRecv(): void {
    if (this.ended) return;
    if (this.closing && this.buffer.length === 0) {
      this.end(false);
      return;
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.end(true), this.opts.idleTimeoutMs);
    this.idleTimer.unref();
  }

  /** The connection's key, once known (frames are written only after the engine has one, except a refusal). */
  learnKey(): void {
    if (this.key !== undefined) return;
    this.key = this.handle?.connection?.key;
    if (this.key !== undefined) this.opts.onKey(this, this.key);
  }

  /** Ends the session; `notifyEngine` when the client went away (the engine did not ask for it). */
  private end(notifyEngine: boolean): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.idleTimer);
    this.buffer = [];
    this.bufferedBytes = 0;
    this.opts.onEnd(this);
    if (notifyEngine) this.handle?.closed();
  }
}
