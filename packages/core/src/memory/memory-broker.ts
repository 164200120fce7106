import type { Broker, BrokerListener } from '../ports/broker.js';
import type { ChannelEvent, ChannelEventInput } from '../ports/events.js';
import type { HistoryStore } from '../ports/history-store.js';
import type { Clock } from '../ports/clock.js';
import { formatSerial, newEpoch } from '../channel/serial.js';
import { stampSerials } from '../messages/stamp.js';

/**
 * Broker for a single node: sequences in process, stores, then delivers synchronously in serial order.
 * Synchronous delivery keeps the hub's view consistent with history in the same tick, which is what makes
 * "replay from history, then subscribe" gap-free without locks.
 */
export class MemoryBroker implements Broker {
  private readonly seqs = new Map<string, number>();
  private readonly subscribed = new Set<string>();
  private listener: BrokerListener = () => {};
  /** One epoch per broker lifetime: sequences restart with a new process, and clients must see the break. */
  private readonly epoch: string;

  constructor(
    private readonly history: HistoryStore,
    clock: Clock,
  ) {
    this.epoch = newEpoch(clock.now());
  }

  async publish(channel: string, input: ChannelEventInput): Promise<ChannelEvent> {
    const seq = (this.seqs.get(channel) ?? 0) + 1;
    this.seqs.set(channel, seq);
    const event: ChannelEvent = { ...input, channel, serial: formatSerial(this.epoch, seq) };
    stampSerials(event);
    // The memory history appends synchronously (its promise is already settled work), so store-then-deliver
    // happens in this same tick; await only to surface its errors.
    const stored = this.history.append(event);
    if (this.subscribed.has(channel)) this.listener(event);
    await stored;
    return event;
  }

  subscribe(channel: string): void {
    this.subscribed.add(channel);
  }

  unsubscribe(channel: string): void {
    this.subscribed.delete(channel);
  }

  setListener(listener: BrokerListener): void {
    this.listener = listener;
  }

  async currentSerial(channel: string): Promise<string> {
    return formatSerial(this.epoch, this.seqs.get(channel) ?? 0);
  }

  async close(): Promise<void> {
    this.subscribed.clear();
  }
}
