import { encode } from '@msgpack/msgpack';
import type { Redis } from 'ioredis';
import {
  createdInHistory,
  type AcceptedAnnotation,
  type AcceptedMessage,
  type AnnotationPageRequest,
  type HistoryRetention,
  type HistoryStore,
  type MessageStore,
  type VersionPageRequest,
} from '@rowcast/core';
import { MessageAction, type MessageAnnotations } from '@rowcast/protocol';
import { decodeBytes, toBuffer } from './event-record.js';
import type { RedisKeys } from './keys.js';

export interface RedisMessageStoreOptions {
  redis: Redis;
  keys: RedisKeys;
  /** The cluster's history, where each message's create already is (the broker's publish script put it there). */
  history: HistoryStore;
  /** Each message's keys live as long as its history would: `ttlMs` after its last change. */
  retention: HistoryRetention;
}

const SEP = 0;

/**
 * Sets the summary unless the one stored was computed as of a later (or the same) annotation, atomically, so
 * concurrent writers on several nodes leave the newest. KEYS[1] summary key; ARGV: asOf, encoded, ttl ms.
 */
const SET_SUMMARY = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local sep = string.find(cur, '\\0', 1, true)
  if sep and string.sub(cur, 1, sep - 1) >= ARGV[1] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '\\0' .. ARGV[2], 'PX', ARGV[3])
return 1
`;

/**
 * MessageStore in Redis, shared by the nodes of a cluster. Per message: a lex-sorted set of its versions after the
 * create (`<versionSerial>\0<msgpack>`), one of its annotations, and its summary, all expiring with history's
 * retention after the message's last change. Creates are not written again: they are read from the channel's
 * Redis history (one event), where the broker's publish script stored them in the same step that sequenced
 * them, so a publish costs no extra round trip.
 */
export class RedisMessageStore implements MessageStore {
  private readonly redis: Redis & { rowcastSetSummary(key: string, asOf: string, value: Buffer, ttlMs: number): Promise<number> };

  constructor(private readonly opts: RedisMessageStoreOptions) {
    if (!('rowcastSetSummary' in opts.redis)) opts.redis.defineCommand('rowcastSetSummary', { numberOfKeys: 1, lua: SET_SUMMARY });
    this.redis = opts.redis as RedisMessageStore['redis'];
  }

  async record(channel: string, messages: AcceptedMessage[]): Promise<void> {
    const changes = messages.filter((m) => m.action !== undefined && m.action !== MessageAction.CREATE);
    if (changes.length === 0) return;
    const { keys, retention } = this.opts;
    const tx = this.redis.multi();
    for (const m of changes) {
      const key = keys.messageVersions(channel, m.serial);
      tx.zadd(key, 0, member(m.version?.serial ?? m.serial, m));
      tx.pexpire(key, retention.ttlMs);
    }
    await tx.exec();
  }

  async latest(channel: string, serials: string[]): Promise<Array<AcceptedMessage | undefined>> {
    if (serials.length === 0) return [];
    const { keys } = this.opts;
    const pipe = this.redis.pipeline();
    for (const s of serials) {
      pipe.zrangeBuffer(keys.messageVersions(channel, s), '-1', '-1');
      pipe.getBuffer(keys.messageSummary(channel, s));
    }
    const replies = (await pipe.exec()) ?? [];
    return Promise.all(
      serials.map(async (serial, i) => {
        const [vErr, versions] = replies[2 * i] ?? [];
        const [sErr, summary] = replies[2 * i + 1] ?? [];
        if (vErr) throw vErr;
        if (sErr) throw sErr;
        const last = (versions as Buffer[] | null)?.[0];
        const message = last
          ? (decodeMember(last) as AcceptedMessage)
          : summary
            ? await createdInHistory(this.opts.history, channel, serial)
            : undefined;
        if (!message || !summary) return message;
        return { ...message, annotations: decodeMember(summary as Buffer) as MessageAnnotations };
      }),
    );
  }

  async versions(channel: string, serial: string, request: VersionPageRequest): Promise<AcceptedMessage[]> {
    // A message has few versions: read them all with its create, then page in memory.
    const [created, changed] = await Promise.all([
      createdInHistory(this.opts.history, channel, serial),
      this.redis.zrangeBuffer(this.opts.keys.messageVersions(channel, serial), '0', '-1'),
    ]);
    const all = [...(created ? [created] : []), ...changed.map((b) => decodeMember(b) as AcceptedMessage)];
    const forwards = request.direction === 'forwards';
    if (!forwards) all.reverse();
    const after = request.after;
    const from = after === undefined ? all : all.filter((m) => (forwards ? versionOf(m) > after : versionOf(m) < after));
    return from.slice(0, request.limit);
  }

  async addAnnotation(channel: string, annotation: AcceptedAnnotation): Promise<AcceptedAnnotation[]> {
    const key = this.opts.keys.messageAnnotations(channel, annotation.messageSerial);
    const replies = await this.redis
      .multi()
      .zadd(key, 0, member(annotation.serial, annotation))
      .pexpire(key, this.opts.retention.ttlMs)
      .zrangeBuffer(key, '0', '-1')
      .exec();
    const [err, list] = replies?.[2] ?? [new Error('annotation write did not complete')];
    if (err) throw err;
    return (list as Buffer[]).map((b) => decodeMember(b) as AcceptedAnnotation);
  }

  async annotations(channel: string, messageSerial: string, request: AnnotationPageRequest): Promise<AcceptedAnnotation[]> {
    // Members start with the serial and a NUL: everything after `<after>\0...` starts at `<after>\x01`.
    const start = request.after === undefined ? '-' : `[${request.after}\u0001`;
    const list = await this.redis.zrangebylexBuffer(this.opts.keys.messageAnnotations(channel, messageSerial), start, '+', 'LIMIT', 0, request.limit);
    return list.map((b) => decodeMember(b) as AcceptedAnnotation);
  }

  async setSummary(channel: string, serial: string, summary: MessageAnnotations, asOf: string): Promise<void> {
    await this.redis.rowcastSetSummary(
      this.opts.keys.messageSummary(channel, serial),
      asOf,
      toBuffer(encode(summary, { ignoreUndefined: true })),
      this.opts.retention.ttlMs,
    );
  }
}

function versionOf(m: AcceptedMessage): string {
  return m.version?.serial ?? m.serial;
}

/** `<serial>\0<msgpack>`: sorts by serial (lex), keeps binary data binary. */
function member(serial: string, value: unknown): Buffer {
  return Buffer.concat([Buffer.from(serial, 'latin1'), Buffer.from([SEP]), toBuffer(encode(value, { ignoreUndefined: true }))]);
}

function decodeMember(buf: Buffer): unknown {
  return decodeBytes(buf.subarray(buf.indexOf(SEP) + 1));
}
