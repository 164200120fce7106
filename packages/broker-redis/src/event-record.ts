import { decode, encode } from '@msgpack/msgpack';
import { stampSerials, type ChannelEvent, type ChannelEventInput } from '@rowcast/core';

/**
 * How a channel event is kept in Redis (history member and pub/sub payload alike):
 * `<timestamp, 15 digits>|<serial>|<msgpack of the event>`. The timestamp prefix lets the Lua scripts trim
 * history by age without decoding; the serial is written by the script that assigns it, so the body is
 * encoded before the serial is known. msgpack keeps binary data binary.
 */

const TS_WIDTH = 15;
const BAR = 0x7c;

/** The timestamp prefix scripts compare against the retention cutoff. */
export function formatTimestamp(ts: number): string {
  return String(Math.max(0, Math.trunc(ts))).padStart(TS_WIDTH, '0');
}

/** Encodes the part of an event that does not depend on its serial. */
export function encodeEventBody(input: ChannelEventInput): Buffer {
  return toBuffer(
    encode(
      {
        kind: input.kind,
        id: input.id,
        connectionId: input.connectionId,
        timestamp: input.timestamp,
        messages: input.messages,
        presence: input.presence,
        annotations: input.annotations,
      },
      { ignoreUndefined: true },
    ),
  );
}

/** ioredis sends Buffers as bytes but stringifies other Uint8Arrays; msgpack gives the latter. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A whole record, for HistoryStore.append (where the serial is already known). */
export function encodeRecord(event: ChannelEvent): Buffer {
  return Buffer.concat([Buffer.from(`${formatTimestamp(event.timestamp)}|${event.serial}|`), encodeEventBody(event)]);
}

/** Decodes a record back into the event of `channel`, with item serials derived from the event serial (stampSerials). */
export function decodeRecord(channel: string, record: Buffer): ChannelEvent {
  const serialEnd = record.indexOf(BAR, TS_WIDTH + 1);
  if (record[TS_WIDTH] !== BAR || serialEnd < 0) throw new Error(`Malformed event record on channel ${channel}`);
  const serial = record.subarray(TS_WIDTH + 1, serialEnd).toString('latin1');
  const body = decodeBytes(record.subarray(serialEnd + 1)) as ChannelEventInput;
  const event: ChannelEvent = { ...body, channel, serial };
  stampSerials(event);
  return event;
}

/** msgpack-decodes a Buffer so that binary values come back as plain Uint8Arrays, as publishers gave them. */
export function decodeBytes(buf: Buffer): unknown {
  return decode(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
}
