import { Action, type ErrorInfo, type ProtocolMessage } from '@rowcast/protocol';

interface Slot {
  msgSerial: number;
  done: boolean;
  serials?: Array<string | null>;
  error?: ErrorInfo;
}

/** How many recent results are kept to re-acknowledge messages the SDK re-sends after a resume. */
const REMEMBERED_RESULTS = 256;

/**
 * Acknowledges publishes in msgSerial order even though they complete out of order (hooks are async).
 * Consecutive successes go out as one ACK with `count` and one `res` entry per msgSerial; a failure is a NACK.
 */
export class AckQueue {
  private readonly slots: Slot[] = [];
  private readonly results = new Map<number, Array<string | null>>();
  private readonly inFlight = new Map<number, Promise<Array<string | null>>>();

  constructor(private readonly send: (pm: ProtocolMessage) => void) {}

  /**
   * The outcome of a msgSerial this connection already received: the SDK re-sends unacknowledged messages after
   * a resume, and they must be acknowledged again, not published twice. Undefined for a new msgSerial.
   */
  previousResult(msgSerial: number): Array<string | null> | Promise<Array<string | null>> | undefined {
    return this.results.get(msgSerial) ?? this.inFlight.get(msgSerial);
  }

  /** Records a publish in progress, so a re-sent copy can wait for its outcome. */
  track(msgSerial: number, outcome: Promise<Array<string | null>>): void {
    this.inFlight.set(msgSerial, outcome);
    const done = () => {
      if (this.inFlight.get(msgSerial) === outcome) this.inFlight.delete(msgSerial);
    };
    outcome.then(done, done);
  }

  /** Reserves the ACK position of `msgSerial`; complete it with `succeed` or `fail`. */
  begin(msgSerial: number): Slot {
    const slot: Slot = { msgSerial, done: false };
    this.slots.push(slot);
    return slot;
  }

  succeed(slot: Slot, serials: Array<string | null>): void {
    slot.done = true;
    slot.serials = serials;
    this.results.set(slot.msgSerial, serials);
    if (this.results.size > REMEMBERED_RESULTS) this.results.delete(this.results.keys().next().value!);
    this.drain();
  }

  fail(slot: Slot, error: ErrorInfo): void {
    slot.done = true;
    slot.error = error;
    this.drain();
  }

  private drain(): void {
    while (this.slots.length && this.slots[0].done) {
      const head = this.slots.shift()!;
      if (head.error) {
        this.send({ action: Action.NACK, msgSerial: head.msgSerial, count: 1, error: head.error.toJSON() });
        continue;
      }
      const res = [{ serials: head.serials ?? [] }];
      let last = head.msgSerial;
      while (this.slots.length && this.slots[0].done && !this.slots[0].error && this.slots[0].msgSerial === last + 1) {
        const next = this.slots.shift()!;
        res.push({ serials: next.serials ?? [] });
        last = next.msgSerial;
      }
      this.send({ action: Action.ACK, msgSerial: head.msgSerial, count: res.length, res });
    }
  }
}
