import { parseSerial, type ChannelEvent, type Logger } from '@rowcast/core';
import { decodeRecord } from './event-record.js';

/** Where a feed reads what pub/sub did not bring (a reconnect, a dropped message). */
export interface FeedSource {
  /** The channel's position { epoch, seq } now. */
  position(channel: string): Promise<{ epoch: string; seq: number }>;
  /** Kept events after `seq`, oldest first. */
  eventsAfter(channel: string, seq: number): Promise<ChannelEvent[]>;
}

type Item = { kind: 'record'; record: Buffer } | { kind: 'catch-up' };

/**
 * One subscribed channel on one node: turns the pub/sub stream into a gap-free, duplicate-free, serial-ordered
 * stream for the node's listener. Redis delivers one connection's pub/sub messages in publish order, but drops
 * those sent while the connection is down; a jump in seq (or a reconnect) is filled from history before going
 * on. Items are processed one at a time, so the order survives the async history reads.
 */
export class ChannelFeed {
  epoch: string | undefined;
  /** Seq of the last event handed to the listener (the node's view of the channel). */
  seq = 0;
  /** Settles once the subscription is confirmed and the baseline position read. */
  readonly ready: Promise<void>;
  private readonly queue: Item[] = [];
  private draining = false;
  private baselined = false;
  private closed = false;

  constructor(
    readonly channel: string,
    subscribed: Promise<unknown>,
    private readonly source: FeedSource,
    private readonly deliver: (event: ChannelEvent) => void,
    private readonly logger: Logger,
  ) {
    this.ready = subscribed
      .then(() => source.position(channel))
      .then((pos) => {
        this.epoch = pos.epoch;
        this.seq = pos.seq;
        this.baselined = true;
        void this.drain();
      });
    // A failed subscribe surfaces through `ready` to whoever awaits it (attach); do not crash the process.
    this.ready.catch(() => {});
  }

  /** A pub/sub message for this channel. */
  push(record: Buffer): void {
    this.queue.push({ kind: 'record', record });
    void this.drain();
  }

  /** After a reconnect: fetch whatever was published while pub/sub was down. */
  catchUp(): void {
    this.queue.push({ kind: 'catch-up' });
    void this.drain();
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  private async drain(): Promise<void> {
    if (this.draining || !this.baselined) return;
    this.draining = true;
    try {
      while (this.queue.length && !this.closed) {
        const item = this.queue.shift()!;
        try {
          if (item.kind === 'catch-up') await this.fill(Number.MAX_SAFE_INTEGER);
          else await this.take(item.record);
        } catch (err) {
          this.logger.error({ err, channel: this.channel }, 'redis broker: channel feed failed; events may be missing');
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async take(record: Buffer): Promise<void> {
    const event = decodeRecord(this.channel, record);
    const parsed = parseSerial(event.serial)!;
    if (parsed.epoch !== this.epoch) {
      // The channel restarted its sequence (its position expired, or Redis lost its data): follow it.
      this.epoch = parsed.epoch;
      this.seq = parsed.seq;
      this.emit(event);
      return;
    }
    if (parsed.seq <= this.seq) return; // already delivered (by a catch-up read)
    if (parsed.seq > this.seq + 1) await this.fill(parsed.seq - 1);
    if (parsed.seq <= this.seq) return;
    this.seq = parsed.seq;
    this.emit(event);
  }

  /** Delivers kept events after the current seq, up to `upTo`. */
  private async fill(upTo: number): Promise<void> {
    const missed = await this.source.eventsAfter(this.channel, this.seq);
    for (const event of missed) {
      const parsed = parseSerial(event.serial)!;
      if (parsed.epoch !== this.epoch || parsed.seq <= this.seq || parsed.seq > upTo) continue;
      if (parsed.seq > this.seq + 1) {
        this.logger.warn(
          { channel: this.channel, from: this.seq + 1, to: parsed.seq - 1 },
          'redis broker: events fell out of history before delivery',
        );
      }
      this.seq = parsed.seq;
      this.emit(event);
    }
  }

  private emit(event: ChannelEvent): void {
    if (this.closed) return;
    try {
      this.deliver(event);
    } catch (err) {
      this.logger.error({ err, channel: this.channel }, 'redis broker: listener threw');
    }
  }
}
