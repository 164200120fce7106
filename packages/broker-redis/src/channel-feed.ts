import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import { formatSerial, parseSerial, type ChannelEvent, type Logger } from '@rowcast/core';
import { decodeRecord } from './event-record.js';

/**
 * A channel's sequence position in Redis. An epoch started by a recovery (see RECOVER) numbers on from `base`
 * and records where the epoch before it ended as far as the nodes know (`prevEpoch`, `prevSeq`).
 */
export interface FeedPosition {
  epoch: string;
  seq: number;
  prevEpoch?: string;
  prevSeq: number;
  base: number;
}

/** Where a feed reads what pub/sub did not bring (a reconnect, a dropped message). */
export interface FeedSource {
  /** The channel's position now. */
  position(channel: string): Promise<FeedPosition>;
  /** Kept events after `seq`, oldest first. */
  eventsAfter(channel: string, seq: number): Promise<ChannelEvent[]>;
}

/** What a feed hands on: the channel's events, and the points where it cannot prove it missed none. */
export interface FeedOutput {
  deliver(event: ChannelEvent): void;
  /** Events before `serial` may be missing; the ones after it follow through `deliver`. */
  lost(serial: string, reason: ErrorInfo): void;
}

type Item = { kind: 'record'; record: Buffer } | { kind: 'catch-up' } | { kind: 'gap'; epoch: string; seq: number };

/**
 * One subscribed channel on one node: turns the pub/sub stream into a gap-free, duplicate-free, serial-ordered
 * stream for the node's listener. Redis delivers one connection's pub/sub messages in publish order, but drops
 * those sent while the connection is down; a jump in seq (or a reconnect) is filled from history before going
 * on. Items are processed one at a time, so the order survives the async history reads.
 *
 * When the channel moves to a new epoch (Redis restarted, lost its data or failed over), every event of the new
 * epoch is delivered from its first; the move is continuous only when Redis records that the old epoch ended
 * at or before this node's last event. Otherwise, or when events fell out of history
 * before delivery, the output is told the channel lost continuity instead of leaving a silent gap.
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
  /** Where this feed judged itself continuous into the current epoch from (a later gap notice may overrule). */
  private continuedFrom?: { epoch: string; seq: number };

  constructor(
    readonly channel: string,
    subscribed: Promise<unknown>,
    private readonly source: FeedSource,
    private readonly output: FeedOutput,
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
    this.enqueue({ kind: 'record', record });
  }

  /** After a reconnect or a recovery: fetch whatever was published while pub/sub was down. */
  catchUp(): void {
    this.enqueue({ kind: 'catch-up' });
  }

  /** Another node knew the epoch `epoch` to have reached `seq` (announced by RECOVER). */
  gap(epoch: string, seq: number): void {
    this.enqueue({ kind: 'gap', epoch, seq });
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  private enqueue(item: Item): void {
    this.queue.push(item);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining || !this.baselined) return;
    this.draining = true;
    try {
      while (this.queue.length && !this.closed) {
        const item = this.queue.shift()!;
        try {
          if (item.kind === 'catch-up') await this.catchUpNow();
          else if (item.kind === 'gap') this.checkGap(item.epoch, item.seq);
          else await this.take(item.record);
        } catch (err) {
          // Nothing read can be proven complete now; the next catch-up (a reconnect) reads again.
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
      await this.follow();
      if (parsed.epoch !== this.epoch) return; // an event of an epoch the channel has left
    }
    if (parsed.seq <= this.seq) return; // already delivered (by a catch-up read)
    if (parsed.seq > this.seq + 1) await this.fill(parsed.seq - 1);
    if (parsed.seq <= this.seq) return;
    this.seq = parsed.seq;
    this.emit(event);
  }

  private async catchUpNow(): Promise<void> {
    await this.follow();
    await this.fill(Number.MAX_SAFE_INTEGER);
  }

  /** Moves to the channel's current epoch if it changed, judging whether the move is continuous. */
  private async follow(): Promise<void> {
    const pos = await this.source.position(this.channel);
    if (pos.epoch === this.epoch) {
      if (pos.seq < this.seq)
        this.logger.warn({ channel: this.channel, epoch: pos.epoch, seq: pos.seq, delivered: this.seq }, 'redis broker: channel sequence went back');
      return;
    }
    // Events of the old epoch that Redis kept and this node has not delivered yet (published on a failed-over or
    // restarted Redis before the recovery started the new epoch) come first.
    if (this.epoch !== undefined && pos.prevEpoch === this.epoch) await this.fill(Number.MAX_SAFE_INTEGER);
    const continuous = this.epoch !== undefined && pos.prevEpoch === this.epoch && this.seq >= pos.prevSeq;
    this.continuedFrom = continuous ? { epoch: this.epoch!, seq: this.seq } : undefined;
    if (!continuous) {
      this.logger.warn(
        {
          channel: this.channel,
          from: this.epoch && formatSerial(this.epoch, this.seq),
          to: pos.epoch,
          prev: pos.prevEpoch && formatSerial(pos.prevEpoch, pos.prevSeq),
        },
        'redis broker: channel continuity lost',
      );
      this.lost(formatSerial(pos.epoch, pos.base));
    }
    this.epoch = pos.epoch;
    this.seq = pos.base;
  }

  private checkGap(epoch: string, seq: number): void {
    const from = this.continuedFrom;
    if (!from || from.epoch !== epoch || from.seq >= seq) return;
    this.continuedFrom = undefined;
    this.logger.warn(
      { channel: this.channel, delivered: formatSerial(from.epoch, from.seq), ended: formatSerial(epoch, seq) },
      'redis broker: channel continuity lost (late notice)',
    );
    this.lost(formatSerial(this.epoch!, this.seq));
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
        this.lost(formatSerial(parsed.epoch, parsed.seq - 1));
      }
      this.seq = parsed.seq;
      this.emit(event);
    }
  }

  private lost(serial: string): void {
    if (this.closed) return;
    const reason = new ErrorInfo(
      'Channel continuity lost: Redis lost events it had accepted (a restart without persistence or a failover); messages before this point may be missing',
      ErrorCode.UNABLE_TO_RECOVER_CHANNEL,
      500,
    );
    try {
      this.output.lost(serial, reason);
    } catch (err) {
      this.logger.error({ err, channel: this.channel }, 'redis broker: discontinuity listener threw');
    }
  }

  private emit(event: ChannelEvent): void {
    if (this.closed) return;
    try {
      this.output.deliver(event);
    } catch (err) {
      this.logger.error({ err, channel: this.channel }, 'redis broker: listener threw');
    }
  }
}
