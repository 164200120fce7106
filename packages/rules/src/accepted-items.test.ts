import { describe, expect, it } from 'vitest';
import { AcceptedItems } from './accepted-items.js';
import type { NewDelivery, QueuedDelivery } from './queue/delivery-queue.js';

const delivery = (n: number): NewDelivery => ({
  ruleId: 'r',
  channel: 'c',
  source: 'channel.message',
  deliveryId: `id${n}`,
  item: { id: `id${n}`, timestamp: n },
});

/** An enqueue's outcome, settled by the test. */
function enqueue() {
  let commit!: (seqs: number[]) => void;
  let fail!: (err: Error) => void;
  const stored = new Promise<number[]>((resolve, reject) => {
    commit = resolve;
    fail = reject;
  });
  return { stored, commit, fail };
}

const ids = (items: { delivery: NewDelivery }[]) => items.map((item) => item.delivery.deliveryId);

describe('items a lane was handed by its node', () => {
  it('gives back the items accepted before a mark, in order, and keeps the later ones', () => {
    const accepted = new AcceptedItems();
    accepted.add([delivery(1), delivery(2)], enqueue().stored);
    const mark = accepted.mark();
    accepted.add([delivery(3)], enqueue().stored);
    expect(ids(accepted.takeBefore(mark))).toEqual(['id1', 'id2']);
    expect(ids(accepted.takeBefore(accepted.mark()))).toEqual(['id3']);
  });

  it('forgets the items a read returned, matched by seq once their enqueue answers', async () => {
    const accepted = new AcceptedItems();
    const first = enqueue();
    const second = enqueue();
    accepted.add([delivery(1)], first.stored);
    accepted.add([delivery(2)], second.stored);
    const read: QueuedDelivery[] = [{ ...delivery(1), seq: 7, attempts: 0, notBefore: 0 }];
    // the read returned id1 before its enqueue answered: forgetting it waits for the seq
    const forgotten = accepted.forgetRead(read);
    first.commit([7]);
    await forgotten;
    expect(ids(accepted.takeBefore(accepted.mark()))).toEqual(['id2']);
  });

  it('does not forget an item a read returned under the same id but another seq', async () => {
    const accepted = new AcceptedItems();
    const mine = enqueue();
    accepted.add([delivery(1)], mine.stored);
    mine.commit([8]);
    await accepted.forgetRead([{ ...delivery(1), seq: 3, attempts: 0, notBefore: 0 }]);
    expect(ids(accepted.takeBefore(accepted.mark()))).toEqual(['id1']);
  });

  it('drops the items of a failed enqueue', async () => {
    const accepted = new AcceptedItems();
    const failing = enqueue();
    accepted.add([delivery(1)], failing.stored);
    accepted.add([delivery(2)], enqueue().stored);
    failing.fail(new Error('refused'));
    await failing.stored.catch(() => undefined);
    await Promise.resolve();
    expect(ids(accepted.takeBefore(accepted.mark()))).toEqual(['id2']);
  });

  it('keeps no more than 1,000 items, and none after one it did not keep until that one is stored', async () => {
    const accepted = new AcceptedItems();
    expect(
      accepted.add(
        Array.from({ length: 1_000 }, (_, i) => delivery(i)),
        enqueue().stored,
      ),
    ).toBe(true);
    const overflow = enqueue();
    expect(accepted.add([delivery(1_000)], overflow.stored)).toBe(false);
    accepted.takeBefore(accepted.mark()); // the lane took everything: room again ...
    // ... but a later item must not overtake the one not kept, which the lane can only read once stored
    const later = enqueue();
    expect(accepted.add([delivery(1_001)], later.stored)).toBe(false);
    overflow.commit([1_001]);
    later.fail(new Error('refused'));
    await Promise.allSettled([overflow.stored, later.stored]);
    await Promise.resolve();
    // both settled (stored or refused): items are kept again
    expect(accepted.add([delivery(1_002)], enqueue().stored)).toBe(true);
  });
});
