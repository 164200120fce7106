import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import type { Clock } from '../ports/clock.js';

/**
 * A connection's publish budget: `perSecond` messages a second, with bursts of up to one second's worth (a
 * token bucket). What a misbehaving client publishes beyond it is refused with 42911, as Ably refuses it
 * (nonfatal: the connection stays open and the client can publish again once the budget refills).
 */
export class InboundRate {
  private tokens: number;
  private at: number;

  constructor(
    private readonly perSecond: number,
    private readonly clock: Clock,
  ) {
    this.tokens = perSecond;
    this.at = clock.now();
  }

  /** Spends `count` messages of the budget, or throws 42911 (spending nothing) when it has not got them. */
  take(count: number): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.at) * this.perSecond) / 1000);
    this.at = now;
    if (count > this.tokens) {
      throw new ErrorInfo(
        `Rate limit exceeded; request rejected (nonfatal); metric = connection.inboundRate; permitted rate = ${this.perSecond}/s`,
        ErrorCode.INBOUND_RATE_LIMIT,
        429,
      );
    }
    this.tokens -= count;
  }
}
