import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import type { AcceptedMessage, TrustedBatch } from '../node-api.js';

/**
 * The checks and the building of the bulk path (RealtimeNode.publishBatch). The publisher is code of this
 * process (the change stream), so the batch's shape is checked once rather than each message's: what a client
 * could get wrong per message (field types, clientId, encodings) cannot occur, as every message is a string
 * with the batch's name. What stays per message is what the normal path refuses per message: the size limit.
 */

/** Validates `batch` and builds its accepted messages (serials filled in by the broker). Throws 40000 / 40009. */
export function acceptTrustedBatch(batch: TrustedBatch, now: number, maxMessageSize: number): AcceptedMessage[] {
  const { idBase, name, data } = batch;
  const first = batch.first ?? 0;
  if (typeof idBase !== 'string' || idBase === '') throw bad('batch.idBase must be a non-empty string');
  if (!Number.isSafeInteger(first) || first < 0) throw bad('batch.first must be a non-negative integer');
  if (name !== undefined && typeof name !== 'string') throw bad('batch.name must be a string');
  if (!Array.isArray(data) || data.length === 0) throw new ErrorInfo('No messages to publish', ErrorCode.BAD_REQUEST, 400);
  const nameBytes = name ? Buffer.byteLength(name) : 0;
  // A UTF-16 code unit is at most 3 UTF-8 bytes: strings short enough cannot exceed the limit, and only longer
  // ones are measured exactly. Every message is checked before any is built, so a refusal publishes nothing.
  const unmeasured = (maxMessageSize - nameBytes) / 3;
  for (let k = 0; k < data.length; k++) {
    const d = data[k];
    if (typeof d !== 'string') throw bad(`batch.data[${k}] must be a string`);
    if (d.length > unmeasured) {
      const size = Buffer.byteLength(d) + nameBytes;
      if (size > maxMessageSize) {
        throw new ErrorInfo(`Message size ${size} exceeds the maximum of ${maxMessageSize} bytes`, ErrorCode.MAX_MESSAGE_LENGTH_EXCEEDED, 400);
      }
    }
  }
  const out: AcceptedMessage[] = new Array(data.length);
  // One literal shape for every message (the normal path's property order), no spread or per-message copy.
  if (name === undefined) {
    for (let k = 0; k < data.length; k++) out[k] = { id: `${idBase}:${first + k}`, data: data[k], timestamp: now, serial: '', action: 0 };
  } else {
    for (let k = 0; k < data.length; k++) out[k] = { id: `${idBase}:${first + k}`, name, data: data[k], timestamp: now, serial: '', action: 0 };
  }
  return out;
}

/**
 * The one idempotency record of a batch: its id range. A single message's record is its id, the very record
 * the normal path keeps, so a message re-published alone is a duplicate on either path. A batch re-sent with
 * the same ids (the change stream replaying after a crash or a failover) has the same record and is dropped.
 */
export function trustedBatchKey(batch: TrustedBatch): string {
  const first = batch.first ?? 0;
  const last = first + batch.data.length - 1;
  return last === first ? `${batch.idBase}:${first}` : `${batch.idBase}:${first}..${last}`;
}

function bad(message: string): ErrorInfo {
  return new ErrorInfo(message, ErrorCode.BAD_REQUEST, 400);
}
