import type { EncodedFrame, TransportLink } from '../transport.js';

/**
 * Outboxes with frames waiting, flushed together by one setImmediate: with thousands of subscribers, one
 * callback per turn instead of one per connection.
 */
const dirty = new Set<Outbox>();
let flushScheduled = false;

function scheduleFlush(outbox: Outbox): void {
  dirty.add(outbox);
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(() => {
    flushScheduled = false;
    const batch = [...dirty];
    dirty.clear();
    for (const o of batch) o.flush();
  });
}

/**
 * A connection's outgoing queue. Frames queued during one event-loop turn are written together on the next
 * `setImmediate`, so a socket sees one write per turn however many messages it receives (the ~10x of
 * platform-facts.md). Unsent bytes (queued here plus held by the transport) are bounded: past the limit,
 * `onOverflow` runs once and the queue stops accepting frames.
 */
export class Outbox {
  private queue: EncodedFrame[] = [];
  private queuedBytes = 0;
  private overflowed = false;

  constructor(
    private link: TransportLink | undefined,
    private readonly maxBytes: number,
    private readonly onOverflow: () => void,
  ) {}

  /** Queues a frame; dropped when no transport is bound. Returns false on overflow. */
  push(frame: EncodedFrame): boolean {
    if (!this.link || this.overflowed) return false;
    const size = frame.payload.byteLength;
    if (this.queuedBytes + size + this.link.pendingBytes > this.maxBytes) {
      this.overflowed = true;
      this.queue = [];
      this.queuedBytes = 0;
      this.onOverflow();
      return false;
    }
    this.queue.push(frame);
    this.queuedBytes += size;
    if (this.queue.length === 1) scheduleFlush(this);
    return true;
  }

  /** Writes everything queued now (before a close, so the last frames go out first). */
  flush(): void {
    if (!this.link || this.queue.length === 0) return;
    const frames = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    this.link.write(frames);
  }

  /** Binds a new transport (resume) or none (dropped); anything queued for the old one is discarded. */
  bind(link: TransportLink | undefined): void {
    this.link = link;
    this.queue = [];
    this.queuedBytes = 0;
    this.overflowed = false;
  }
}
