import { createHash } from 'node:crypto';
import type { Message } from '@rowcast/protocol';
import type { Operation } from './config.js';
import { lsnKey } from './lsn.js';
import type { RowMessage } from './publisher.js';
import { changePosition } from './serial-map.js';
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
  kind: 'batch';
  channel: string;
  /** Data + name bytes of all its messages. */
  bytes: number;
}

/**
 * One change of a mutable-message table on one channel: creates, updates or deletes the row's message. Published
 * alone, after everything before it on the channel (an update needs the serial its create was given).
 */
export interface KeyedPublish {
  kind: 'keyed';
  channel: string;
  table: string;
  operation: Operation;
  /** The key column's value: names the row's message. */
  key: string;
  /** Orders changes: a change at or before an entry's recorded position was applied already. */
  position: string;
  message: RowMessage;
  bytes: number;
}

/** What a channel's lane publishes, in order. */
export type LaneWork = PublishBatch | KeyedPublish;

/** A change that cannot be published because one message alone exceeds the size limit. */
export interface OversizedChange {
  table: string;
  operation: string;
  key: Record<string, string | null | undefined>;
  size: number;
  channel: string;
}

export interface BatchPlan {
  batches: LaneWork[];
  oversized: OversizedChange[];
  /** Changes of mutable-message tables whose key column is NULL: no message to name, not published. */
  keyless: Array<{ table: string; operation: string; keyColumn: string }>;
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
  const batches: LaneWork[] = [];
  const oversized: OversizedChange[] = [];
  const keyless: BatchPlan['keyless'] = [];
  const txKey = lsnKey(tx.commitLsn);
  // Each channel's batch being filled: batches are cut per channel in change order, as the ids require; the
  // order of batches of different channels in `batches` does not matter (each channel is its own lane).
  const open = new Map<string, PublishBatch>();
  for (const change of tx.changes) {
    if (change.table.mutable) {
      const ctx = { messageName, txKey, maxMessageSize: limits.maxMessageSize, commitLsn: tx.commitLsn };
      if (!planKeyed(change, change.table.mutable, types, ctx, batches, oversized)) {
        keyless.push({ table: change.table.label, operation: change.operation, keyColumn: change.table.mutable.keyColumn });
      }
      continue;
    }
    const data = changeJson(change, types);
    const size = Buffer.byteLength(data) + nameBytes;
    for (const channel of change.table.channels[change.operation]) {
      if (size > limits.maxMessageSize) {
        oversized.push({ table: change.table.label, operation: change.operation, key: keyOf(change), size, channel });
        continue;
      }
      let current = open.get(channel);
      if (!current || current.bytes + size > limits.maxBatchBytes || current.data.length >= MAX_MESSAGES_PER_BATCH) {
        current = {
          kind: 'batch',
          channel,
          idBase: `pg.${txKey}.${change.index}.${channelTag(channel)}`,
          first: 0,
          name: messageName,
          data: [],
          bytes: 0,
        };
        open.set(channel, current);
        batches.push(current);
      }
      current.data.push(data);
      current.bytes += size;
    }
  }
  return { batches, oversized, keyless };
}

/**
 * The keyed publishes of a mutable-message change: the row's JSON as the data. The id names the change (commit,
 * index, channel) like the batches' ids, so a re-sent create is recognised as a duplicate. Returns false for a row
 * without a key value, which cannot name a message.
 */
function planKeyed(
  change: Change,
  mutable: { keyColumn: string; name?: string },
  types: RowJsonTypes,
  ctx: { messageName: string; txKey: string; maxMessageSize: number; commitLsn: bigint },
  out: LaneWork[],
  oversized: OversizedChange[],
): boolean {
  const key = change.row[mutable.keyColumn];
  if (key === null || key === undefined) return false;
  const data = rowJson(change, types);
  const name = mutable.name ?? ctx.messageName;
  const size = Buffer.byteLength(data) + Buffer.byteLength(name);
  const position = changePosition(ctx.commitLsn, change.index);
  for (const channel of change.table.channels[change.operation]) {
    if (size > ctx.maxMessageSize) {
      oversized.push({ table: change.table.label, operation: change.operation, key: keyOf(change), size, channel });
      continue;
    }
    const id = `pg.${ctx.txKey}.${change.index}.${channelTag(channel)}:0`;
    out.push({
      kind: 'keyed',
      channel,
      table: change.table.label,
      operation: change.operation,
      key,
      position,
      message: { id, name, data },
      bytes: size,
    });
  }
  return true;
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
