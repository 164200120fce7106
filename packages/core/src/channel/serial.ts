/**
 * Channel serials. A channel's events are numbered by a sequence that belongs to one incarnation ("epoch") of the
 * channel: `<epoch>-<seq>`, with seq zero-padded so that serials of one epoch sort as strings. A message inside
 * an event gets `<eventSerial>:<index>`. The epoch changes when the sequence restarts (an in-memory broker
 * after a restart), so a client holding a serial of an older epoch is known not to be continuous.
 */

const SEQ_WIDTH = 12;
const INDEX_WIDTH = 4;

export interface ParsedSerial {
  epoch: string;
  seq: number;
}

/** Builds an event serial. */
export function formatSerial(epoch: string, seq: number): string {
  return `${epoch}-${String(seq).padStart(SEQ_WIDTH, '0')}`;
}

/** Parses an event serial (or the event part of a message serial); undefined when it is not one of ours. */
export function parseSerial(serial: unknown): ParsedSerial | undefined {
  if (typeof serial !== 'string') return undefined;
  const m = /^([0-9a-z]+)-(\d{1,15})(?::\d+)?$/.exec(serial);
  if (!m) return undefined;
  return { epoch: m[1], seq: Number(m[2]) };
}

/** The serial of message `index` of the event with serial `eventSerial`. */
export function messageSerial(eventSerial: string, index: number): string {
  return `${eventSerial}:${String(index).padStart(INDEX_WIDTH, '0')}`;
}

/** A new epoch id: the time in base36, so later incarnations sort after earlier ones. */
export function newEpoch(now: number): string {
  return now.toString(36);
}
