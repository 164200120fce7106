import type { HistoryPageRequest } from '../ports/history-store.js';
import { parseSerial } from './serial.js';

/** Inclusive seq bounds of a history page within one epoch of a channel. */
export interface SeqRange {
  min: number;
  max: number;
}

/**
 * The seqs of `epoch` that a page request's serial bounds allow, or undefined when none can match. A bound from
 * an earlier epoch lies before every event of this one, a bound from a later epoch after them (as `isAfter`
 * orders serials); an unparseable bound constrains nothing. Time bounds are the store's to apply.
 */
export function pageSeqRange(epoch: string, request: HistoryPageRequest): SeqRange | undefined {
  let min = 0;
  let max = Number.POSITIVE_INFINITY;
  const after = parseSerial(request.after);
  if (after) {
    const forwards = request.direction === 'forwards';
    if (after.epoch === epoch) {
      if (forwards) min = after.seq + 1;
      else max = after.seq - 1;
    } else if (after.epoch > epoch === forwards) {
      return undefined; // forwards past a later epoch, or backwards before an earlier one
    }
  }
  const notAfter = parseSerial(request.notAfter);
  if (notAfter) {
    if (notAfter.epoch === epoch) max = Math.min(max, notAfter.seq);
    else if (notAfter.epoch < epoch) return undefined;
  }
  return min <= max ? { min, max } : undefined;
}
