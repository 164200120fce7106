import { parseSerial } from './serial.js';

/**
 * Whether event serial `a` comes after `b` on the same channel. A serial of a later epoch is after any of an
 * earlier one; unparseable serials count as "after" so nothing is silently dropped.
 */
export function isAfter(a: string, b: string | undefined): boolean {
  if (b === undefined) return true;
  const pa = parseSerial(a);
  const pb = parseSerial(b);
  if (!pa || !pb) return true;
  if (pa.epoch !== pb.epoch) return pa.epoch > pb.epoch;
  return pa.seq > pb.seq;
}
