import { newEventId } from './messages/event-id.js';
import {
  ErrorCode,
  ErrorInfo,
  MessageAction,
  type Annotation,
  type Message,
  type MessageOperation,
  type UpdateDeleteResult,
} from '@rowcast/protocol';
import type { AcceptedHooks } from './accepted-hooks.js';
import { isMetaChannel, parseChannelName } from './channel/names.js';
import type { EngineContext } from './context.js';
import type { TrafficCounters } from './counters.js';
import { acceptAnnotation } from './messages/annotation-input.js';
import { createdInHistory } from './messages/history-lookup.js';
import { applyMutation, messageNotFound, newVersion, requireMutationRights, requireSerial, type MutationAction } from './messages/mutation.js';
import { messageSize, requireMessageSize } from './messages/normalise.js';
import { withUserClaim } from './messages/user-claim.js';
import { summarise } from './messages/summary.js';
import type { AcceptedAnnotation, AcceptedMessage, AnnotationsQuery, HistoryPage, MutationOrigin, PublishOrigin, VersionsQuery } from './node-api.js';
import { KeyedTurns } from './keyed-turns.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/**
 * Messages after their create: reads of the latest version and of versions, updates, deletes and appends,
 * annotations and their summaries. Each change is an event sequenced by the broker like any publish (so it
 * keeps the channel's order, reaches subscribers and is replayed on resume), then recorded in the channel's
 * MessageStore (so history, rewind and REST show the message as it now is).
 *
 * Changes to one message are applied one at a time on this node (each reads the version it replaces); across
 * nodes of a cluster two concurrent changes to the same message both apply in channel order, the later one
 * built on what it read.
 */
export class MutableMessages {
  /** Changes to one message (or, for annotations, to one channel) are applied one at a time. */
  private readonly turns = new KeyedTurns();

  constructor(
    private readonly ctx: EngineContext,
    private readonly hooks: AcceptedHooks,
    private readonly counters: TrafficCounters,
  ) {}

  /** The latest version of a message, from the channel's store or, for one it does not know, from history. */
  async latest(channel: string, serial: string): Promise<AcceptedMessage | undefined> {
    const [found] = await this.ctx.messageStores(channel).latest(channel, [serial]);
    return found ?? (await createdInHistory(this.ctx.history, channel, serial));
  }

  async get(channel: string, serial: unknown): Promise<AcceptedMessage> {
    const { base } = parseChannelName(channel);
    const s = requireSerial(serial);
    const found = await this.latest(base, s);
    if (!found) throw messageNotFound(base, s);
    return found;
  }

  async mutate(
    channel: string,
    action: MutationAction,
    message: Message,
    operation: MessageOperation | undefined,
    origin: MutationOrigin,
  ): Promise<UpdateDeleteResult> {
    const { base } = parseChannelName(channel);
    if (message === null || typeof message !== 'object') throw new ErrorInfo('No message given', ErrorCode.BAD_REQUEST, 400);
    const serial = requireSerial(message.serial);
    return this.turns.run(`${base}\u0000${serial}`, () => this.applyChange(base, serial, action, message, operation, origin));
  }

  async versions(channel: string, serial: unknown, query: VersionsQuery): Promise<HistoryPage<AcceptedMessage>> {
    const { base } = parseChannelName(channel);
    const s = requireSerial(serial);
    const limit = pageLimit(query.limit);
    const direction = query.direction ?? 'forwards';
    const items = await this.ctx.messageStores(base).versions(base, s, { direction, after: query.cursor, limit: limit + 1 });
    if (items.length === 0 && query.cursor === undefined) {
      // A message the store never saw change (or never saw): its create, from history, is its one version.
      const created = await createdInHistory(this.ctx.history, base, s);
      if (!created) throw messageNotFound(base, s);
      return { items: [created] };
    }
    const page = items.slice(0, limit);
    const result: HistoryPage<AcceptedMessage> = { items: page };
    if (items.length > limit) {
      const last = page[page.length - 1];
      result.next = last.version?.serial ?? last.serial;
    }
    return result;
  }

  async publishAnnotations(channel: string, raw: Annotation[], origin: PublishOrigin): Promise<void> {
    const { base } = parseChannelName(channel);
    if (!Array.isArray(raw) || raw.length === 0) throw new ErrorInfo('No annotations to publish', ErrorCode.BAD_REQUEST, 400);
    const now = this.ctx.clock.now();
    const idBase = origin.idBase ?? newEventId();
    const identity = { clientId: origin.clientId === '*' ? undefined : origin.clientId, wildcard: origin.clientId === '*' };
    // `extras.userClaim` is the publisher's JWT claim, whatever the client sent (as on messages and presence).
    const accepted = raw.map((a, i) =>
      withUserClaim(
        acceptAnnotation(a, `annotations[${i}]`, identity, {
          id: `${idBase}:${i}`,
          timestamp: now,
          connectionId: origin.connectionId,
          defaultClientId: origin.defaultClientId,
        }),
        origin.userClaim,
      ),
    );
    for (const a of accepted) requireMessageSize(a, this.ctx.config.maxMessageSize);
    // One channel's annotations one publish at a time on this node, so its summaries go out in order.
    await this.turns.run(`${base}\u0000annotations`, () => this.annotate(base, accepted, origin));
  }

  async annotations(channel: string, serial: unknown, query: AnnotationsQuery): Promise<HistoryPage<AcceptedAnnotation>> {
    const { base } = parseChannelName(channel);
    const s = requireSerial(serial);
    const limit = pageLimit(query.limit);
    const items = await this.ctx.messageStores(base).annotations(base, s, { after: query.cursor, limit: limit + 1 });
    if (items.length === 0 && query.cursor === undefined && !(await this.latest(base, s))) throw messageNotFound(base, s);
    const page = items.slice(0, limit);
    const result: HistoryPage<AcceptedAnnotation> = { items: page };
    if (items.length > limit) result.next = page[page.length - 1].serial;
    return result;
  }

  private async applyChange(
    channel: string,
    serial: string,
    action: MutationAction,
    change: Message,
    operation: MessageOperation | undefined,
    origin: MutationOrigin,
  ): Promise<UpdateDeleteResult> {
    const current = await this.latest(channel, serial);
    if (!current) throw messageNotFound(channel, serial);
    requireMutationRights(origin, channel, action, current);
    const now = this.ctx.clock.now();
    // New extras carry the changer's user claim (not one the client wrote); unchanged extras keep the author's.
    const claimed = change.extras === undefined ? change : withUserClaim(change, origin.userClaim);
    const { delivered, stored } = applyMutation(current, action, claimed, newVersion(operation, origin, current, now));
    requireMessageSize(stored, this.ctx.config.maxMessageSize);
    // Subscribers also get the message's annotation summary, so a client that shows both keeps it across edits.
    const outgoing = current.annotations ? { ...delivered, annotations: current.annotations } : delivered;
    const event = await this.ctx.broker.publish(channel, {
      kind: 'message',
      id: origin.idBase ?? newEventId(),
      connectionId: origin.connectionId,
      timestamp: now,
      messages: [outgoing],
    });
    // The broker stamped the version serial on what it delivered; the stored form is kept without the summary.
    stored.version = outgoing.version;
    delivered.version = outgoing.version;
    await this.ctx.messageStores(channel).record(channel, [stored]);
    if (!isMetaChannel(channel)) {
      if (origin.connectionId) {
        this.counters.realtimeMessagesIn++;
        this.counters.realtimeMessageBytesIn += messageSize(outgoing);
      } else {
        this.counters.restMessagesIn++;
        this.counters.restMessageBytesIn += messageSize(outgoing);
      }
      await this.hooks.run({ kind: 'message', channel, messages: event.messages ?? [outgoing] });
    }
    return { versionSerial: outgoing.version?.serial ?? null };
  }

  private async annotate(channel: string, accepted: AcceptedAnnotation[], origin: PublishOrigin): Promise<void> {
    const targets = new Map<string, AcceptedMessage>();
    for (const a of accepted) {
      if (targets.has(a.messageSerial)) continue;
      const message = await this.latest(channel, a.messageSerial);
      if (!message) throw messageNotFound(channel, a.messageSerial);
      targets.set(a.messageSerial, message);
    }
    await this.ctx.broker.publish(channel, {
      kind: 'annotation',
      id: origin.idBase ?? newEventId(),
      connectionId: origin.connectionId,
      timestamp: accepted[0].timestamp,
      annotations: accepted,
    });
    if (origin.connectionId) this.counters.realtimeMessagesIn += accepted.length;
    else this.counters.restMessagesIn += accepted.length;
    const store = this.ctx.messageStores(channel);
    const latestList = new Map<string, AcceptedAnnotation[]>();
    for (const a of accepted) latestList.set(a.messageSerial, await store.addAnnotation(channel, a));
    const summaries: AcceptedMessage[] = [];
    for (const [serial, all] of latestList) {
      const summary = summarise(all);
      await store.setSummary(channel, serial, summary, all[all.length - 1].serial);
      const message = targets.get(serial)!;
      summaries.push({
        id: message.id,
        serial,
        action: MessageAction.SUMMARY,
        timestamp: message.timestamp,
        version: message.version ?? { serial, timestamp: message.timestamp },
        annotations: summary,
      });
    }
    await this.ctx.broker.publish(channel, {
      kind: 'message',
      id: newEventId(),
      timestamp: this.ctx.clock.now(),
      messages: summaries,
    });
  }
}

function pageLimit(limit: number | undefined): number {
  const n = limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) {
    throw new ErrorInfo(`limit must be between 1 and ${MAX_LIMIT}`, ErrorCode.INVALID_PARAMETER_VALUE, 400);
  }
  return n;
}
