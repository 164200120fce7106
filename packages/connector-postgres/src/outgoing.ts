import { createHash } from 'node:crypto';
import type { Message } from '@rowcast/protocol';
import { lsnKey } from './lsn.js';
import type { RowJsonTypes, ValueEncoder } from './row-json.js';
import type { Change, Transaction } from './transaction.js';

/**
 * Turns a committed transaction into publish batches: one or more per channel, in commit order, each within the
 * size limit. The data is the original connector's JSON text (`{"table" : ..., "type" : ..., "row" : ...}`,
 * json_build_object's spacing). Ids are `<base>:<index>` with the base naming the commit LSN, the first change's
 * index in the transaction and the channel: the same transaction always yields the same batches and ids, so a
 * re-sent batch is dropped by idempotent publishing (and Ably's rule for multi-message ids holds).
 */

/**
 * One publish: messages of one channel with one name, ids `<idBase>:<first + k>`. Kept as the data texts alone
 * (the engine's bulk path takes them as they are; `messagesOf` builds message objects for a REST publish).
 */
export interface OutgoingBatch {
  idBase: string;
  /** Index in the ids of the first message: a part of a batch published alone keeps its messages' ids. */
  first: number;
  name: string;
  data: string[];
}

export interface PublishBatch extends OutgoingBatch {
  channel: string;
  /** Data + name bytes of all its messages. */
  bytes: number;
}

/** A change that cannot be published because one message alone exceeds the size limit. */
export interface OversizedChange {
  table: string;
  operation: string;
  key: Record<string, string | null | undefined>;
  size: number;
  channel: string;
}

export interface BatchPlan {
  batches: PublishBatch[];
  oversized: OversizedChange[];
}

const MAX_MESSAGES_PER_BATCH = 1000;
const channelTags = new Map<string, string>();

/** Plans the batches of `tx`. `types` must already know every column type of the changes' relations. */
export function planBatches(
  tx: Transaction,
  types: RowJsonTypes,
  messageName: string,
  limits: { maxMessageSize: number; maxBatchBytes: number },
): BatchPlan {
  const nameBytes = Buffer.byteLength(messageName);
  const batches: PublishBatch[] = [];
  const oversized: OversizedChange[] = [];
  const txKey = lsnKey(tx.commitLsn);
  // Each channel's batch being filled: batches are cut per channel in change order, as the ids require; the
  // order of batches of different channels in `batches` does not matter (each channel is its own lane).
  const open = new Map<string, PublishBatch>();
  for (const change of tx.changes) {
    const data = changeJson(change, types);
    const size = Buffer.byteLength(data) + nameBytes;
    for (const channel of change.table.channels[change.operation]) {
      if (size > limits.maxMessageSize) {
        oversized.push({ table: change.table.label, operation: change.operation, key: keyOf(change), size, channel });
        continue;
      }
      let current = open.get(channel);
      if (!current || current.bytes + size > limits.maxBatchBytes || current.data.length >= MAX_MESSAGES_PER_BATCH) {
        current = { channel, idBase: `pg.${txKey}.${change.index}.${channelTag(channel)}`, first: 0, name: messageName, data: [], bytes: 0 };
        open.set(channel, current);
        batches.push(current);
      }
      current.data.push(data);
      current.bytes += size;
    }
  }
  return { batches, oversized };
}

/** The messages of a batch as a REST publish sends them. */
export function messagesOf(batch: OutgoingBatch): Message[] {
  return batch.data.map((data, k) => ({ id: `${batch.idBase}:${batch.first + k}`, name: batch.name, data }));
}

/** The message data of one change, as the original's trigger built it with json_build_object(...)::text. */
export function changeJson(change: Change, types: RowJsonTypes): string {
  return `${changePrefix(change)}${rowJson(change, types)}}`;
}

/** `{"table" : <label>, "type" : <operation>, "row" : ` per table and operation, built once. */
const prefixes = new WeakMap<Change['table'], Partial<Record<Change['operation'], string>>>();

function changePrefix(change: Change): string {
  let byOperation = prefixes.get(change.table);
  if (!byOperation) prefixes.set(change.table, (byOperation = {}));
  return (byOperation[change.operation] ??= `{"table" : ${JSON.stringify(change.table.label)}, "type" : "${change.operation}", "row" : `);
}

/** The row as row_to_json renders it, columns in table order. */
export function rowJson(change: Change, types: RowJsonTypes): string {
  const shape = shapeOf(change.relation, types);
  const row = change.row;
  let out = '{';
  for (let i = 0; i < shape.names.length; i++) {
    const value = row[shape.columns[i]];
    out += shape.names[i] + (value === null || value === undefined ? 'null' : shape.encoders[i](value));
  }
  return `${out}}`;
}

/** Per relation (a new object after each schema change): quoted column names and value encoders, built once. */
interface RowShape {
  columns: string[];
  /** `"name":` with the separating comma where needed. */
  names: string[];
  encoders: ValueEncoder[];
}
const shapes = new WeakMap<Change['relation'], RowShape>();

function shapeOf(relation: Change['relation'], types: RowJsonTypes): RowShape {
  let shape = shapes.get(relation);
  if (!shape) {
    shape = {
      columns: relation.columns.map((c) => c.name),
      names: relation.columns.map((c, i) => `${i ? ',' : ''}${JSON.stringify(c.name)}:`),
      encoders: relation.columns.map((c) => types.encoder(c.typeOid)),
    };
    shapes.set(relation, shape);
  }
  return shape;
}

function keyOf(change: Change): Record<string, string | null | undefined> {
  const names = change.table.primaryKey.length ? change.table.primaryKey : change.relation.keyColumns;
  const key: Record<string, string | null | undefined> = {};
  for (const n of names) key[n] = change.row[n];
  return key;
}

/** A short stable tag of a channel name, so one change on several channels gets distinct ids. */
function channelTag(channel: string): string {
  let tag = channelTags.get(channel);
  if (!tag) {
    tag = createHash('sha256').update(channel).digest('base64url').slice(0, 10);
    if (channelTags.size > 10_000) channelTags.clear();
    channelTags.set(channel, tag);
  }
  return tag;
}
