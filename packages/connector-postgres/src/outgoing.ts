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

export interface PublishBatch {
  channel: string;
  messages: Message[];
  /** Rows in the batch, for throughput accounting. */
  rows: number;
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
  const perChannel = new Map<string, Array<{ change: Change; data: string; size: number }>>();
  for (const change of tx.changes) {
    const data = changeJson(change, types);
    const size = Buffer.byteLength(data) + nameBytes;
    for (const channel of change.table.channels[change.operation]) {
      let list = perChannel.get(channel);
      if (!list) perChannel.set(channel, (list = []));
      list.push({ change, data, size });
    }
  }
  const batches: PublishBatch[] = [];
  const oversized: OversizedChange[] = [];
  const txKey = lsnKey(tx.commitLsn);
  for (const [channel, items] of perChannel) {
    const tag = channelTag(channel);
    let current: PublishBatch | undefined;
    let base = '';
    let bytes = 0;
    for (const item of items) {
      if (item.size > limits.maxMessageSize) {
        oversized.push({
          table: item.change.table.label,
          operation: item.change.operation,
          key: keyOf(item.change),
          size: item.size,
          channel,
        });
        continue;
      }
      if (!current || bytes + item.size > limits.maxBatchBytes || current.messages.length >= MAX_MESSAGES_PER_BATCH) {
        base = `pg.${txKey}.${item.change.index}.${tag}`;
        current = { channel, messages: [], rows: 0, bytes: 0 };
        batches.push(current);
        bytes = 0;
      }
      current.messages.push({ id: `${base}:${current.messages.length}`, name: messageName, data: item.data });
      current.rows++;
      bytes += item.size;
      current.bytes = bytes;
    }
  }
  return { batches, oversized };
}

/** The message data of one change, as the original's trigger built it with json_build_object(...)::text. */
export function changeJson(change: Change, types: RowJsonTypes): string {
  return `{"table" : ${JSON.stringify(change.table.label)}, "type" : "${change.operation}", "row" : ${rowJson(change, types)}}`;
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
