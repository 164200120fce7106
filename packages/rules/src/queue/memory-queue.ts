import type { DeadLetter, DeadLetterFilter, DeliveryQueue, Lane, NewDelivery, QueuedDelivery } from './delivery-queue.js';

const DEAD_LETTERS_KEPT = 10_000;

/**
 * The queue used when no database is configured: same ordering and retry semantics as the PostgreSQL queue, but
 * nothing survives a restart.
 */
export class MemoryDeliveryQueue implements DeliveryQueue {
  private nextSeq = 1;
  private readonly lanesByKey = new Map<string, QueuedDelivery[]>();
  private readonly bySeq = new Map<number, QueuedDelivery>();
  private readonly dead: DeadLetter[] = [];

  async enqueue(items: NewDelivery[]): Promise<number[]> {
    const seqs: number[] = [];
    for (const item of items) {
      const queued: QueuedDelivery = { ...item, seq: this.nextSeq++, attempts: 0, notBefore: 0 };
      const key = laneKey(item);
      let lane = this.lanesByKey.get(key);
      if (!lane) this.lanesByKey.set(key, (lane = []));
      lane.push(queued);
      this.bySeq.set(queued.seq, queued);
      seqs.push(queued.seq);
    }
    return seqs;
  }

  async page(lane: Lane, afterSeq: number, limit: number): Promise<QueuedDelivery[]> {
    const items = this.lanesByKey.get(laneKey(lane)) ?? [];
    return items
      .filter((item) => item.seq > afterSeq)
      .slice(0, limit)
      .map((item) => ({ ...item }));
  }

  async complete(seq: number): Promise<void> {
    this.remove(seq);
  }

  async completeAndPage(delivered: number[], lane: Lane, afterSeq: number, limit: number): Promise<QueuedDelivery[]> {
    for (const seq of delivered) this.remove(seq);
    return this.page(lane, afterSeq, limit);
  }

  async recordFailure(seq: number, attempts: number, error: string, notBefore: number): Promise<void> {
    const item = this.bySeq.get(seq);
    if (item) Object.assign(item, { attempts, lastError: error, notBefore });
  }

  async deadLetter(seq: number, attempts: number, error: string): Promise<void> {
    const item = this.remove(seq);
    if (!item) return;
    this.dead.push({ ...item, attempts, lastError: error, failedAt: Date.now() });
    if (this.dead.length > DEAD_LETTERS_KEPT) this.dead.shift();
  }

  async lanes(): Promise<Lane[]> {
    return [...this.lanesByKey.values()].filter((l) => l.length > 0).map(([first]) => ({ ruleId: first.ruleId, channel: first.channel }));
  }

  async size(): Promise<number> {
    return this.bySeq.size;
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    return this.dead.slice(-limit).reverse();
  }

  async requeueDeadLetters(filter: DeadLetterFilter = {}): Promise<number> {
    const chosen = this.dead.filter(
      (d) => (!filter.ruleId || d.ruleId === filter.ruleId) && (!filter.deliveryIds || filter.deliveryIds.includes(d.deliveryId)),
    );
    for (const d of chosen) this.dead.splice(this.dead.indexOf(d), 1);
    chosen.sort((a, b) => a.seq - b.seq);
    await this.enqueue(chosen.map(({ ruleId, channel, source, deliveryId, item }) => ({ ruleId, channel, source, deliveryId, item })));
    return chosen.length;
  }

  async close(): Promise<void> {}

  private remove(seq: number): QueuedDelivery | undefined {
    const item = this.bySeq.get(seq);
    if (!item) return undefined;
    this.bySeq.delete(seq);
    const key = laneKey(item);
    const lane = this.lanesByKey.get(key);
    if (lane) {
      const index = lane.findIndex((i) => i.seq === seq);
      if (index >= 0) lane.splice(index, 1);
      if (lane.length === 0) this.lanesByKey.delete(key);
    }
    return item;
  }
}

function laneKey(lane: Lane): string {
  return `${lane.ruleId}\u0000${lane.channel}`;
}
