import { newEventId } from './messages/event-id.js';
import { ErrorCode, ErrorInfo, PresenceAction, type Message } from '@rowcast/protocol';
import type { AcceptedHooks } from './accepted-hooks.js';
import { isMetaChannel, parseChannelName } from './channel/names.js';
import { effectiveClientId } from './connection/identity.js';
import type { EngineContext } from './context.js';
import type { TrafficCounters } from './counters.js';
import { isEphemeral } from './messages/ephemeral.js';
import { messageSize, normaliseMessage, requireMessageSize } from './messages/normalise.js';
import { withUserClaim } from './messages/user-claim.js';
import { acceptTrustedBatch, trustedBatchKey } from './messages/trusted-batch.js';
import type { AcceptedMessage, AcceptedPresence, PublishOrigin, PublishResult, TrustedBatch } from './node-api.js';
import type { IdempotencyStore } from './ports/idempotency-store.js';
import { memberKey } from './ports/presence-store.js';
import { KeyedTurns } from './keyed-turns.js';

/**
 * How a node accepts what is published: validation, ids and idempotency (in order per channel), the broker
 * (which sequences and stores), the traffic counters and the accepted hooks (rules), before the publisher's ACK.
 */
export class PublishPipeline {
  /** Per channel, the last publish still waiting for its id check (see checkIds). */
  private readonly idChecks = new KeyedTurns();

  constructor(
    private readonly ctx: EngineContext,
    private readonly idempotency: IdempotencyStore,
    private readonly counters: TrafficCounters,
    private readonly hooks: AcceptedHooks,
    /** Presence counts in occupancy: told after each presence change. */
    private readonly onPresenceChanged: (channel: string) => void,
  ) {}

  async publish(channel: string, messages: Message[], origin: PublishOrigin): Promise<PublishResult> {
    const { base } = parseChannelName(channel);
    if (!Array.isArray(messages) || messages.length === 0) throw new ErrorInfo('No messages to publish', ErrorCode.BAD_REQUEST, 400);
    const now = this.ctx.clock.now();
    const idBase = origin.idBase ?? newEventId();
    const identity = { clientId: origin.clientId === '*' ? undefined : origin.clientId, wildcard: origin.clientId === '*' };
    const accepted: AcceptedMessage[] = [];
    const positions: number[] = [];
    const valid = messages.map((raw, i) => {
      const m = withUserClaim(normaliseMessage(raw, `messages[${i}]`), origin.userClaim);
      const clientId = effectiveClientId(identity, m.clientId) ?? (m.clientId === undefined ? origin.defaultClientId : undefined);
      const size = requireMessageSize({ ...m, clientId }, this.ctx.config.maxMessageSize);
      return { m, clientId, size };
    });
    // Explicit ids are checked only once every message is valid, so a refused publish records none of them.
    const explicit = valid.filter((v) => v.m.id !== undefined);
    const checked = this.checkIds(
      base,
      explicit.map((v) => v.m.id!),
    );
    const fresh = Array.isArray(checked) ? checked : await checked;
    const duplicates = new Set(explicit.filter((_, k) => !fresh[k]));
    valid.forEach((v, i) => {
      if (duplicates.has(v)) return;
      const { m, clientId } = v;
      const out: AcceptedMessage = { ...m, id: m.id ?? `${idBase}:${i}`, timestamp: now, serial: '', action: 0 };
      if (clientId !== undefined) out.clientId = clientId;
      if (origin.connectionId) out.connectionId = origin.connectionId;
      accepted.push(out);
      positions.push(i);
    });
    const serials: Array<string | null> = messages.map(() => null);
    if (accepted.length === 0) return { serials };
    const event = await this.ctx.broker.publish(base, {
      kind: 'message',
      id: idBase,
      connectionId: origin.connectionId,
      timestamp: now,
      messages: accepted,
      explicitIds: explicit.length ? explicit.filter((v) => !duplicates.has(v)).map((v) => v.m.id!) : undefined,
    });
    if (event.duplicate) return { serials };
    // Metachannel events are Rowcast's own bookkeeping: not traffic in the stats, not for integrations, never
    // changed after their create.
    if (!isMetaChannel(base)) {
      this.countIn(origin, valid, duplicates);
      // nor are ephemeral messages for integrations, or for later changes (they are not kept)
      const kept = event.messages!.filter((m) => !isEphemeral(m));
      if (kept.length) {
        await this.ctx.messageStores(base).record(base, kept);
        await this.hooks.run({ kind: 'message', channel: base, messages: kept });
      }
    }
    for (const [k, m] of event.messages!.entries()) serials[positions[k]] = m.serial;
    return { serials, timestamp: now };
  }

  /** See RealtimeNodeApi.publishBatches: one event for the batches, each batch its own idempotency record. */
  async publishBatches(channel: string, batches: TrustedBatch[]): Promise<PublishResult[]> {
    const { base } = parseChannelName(channel);
    if (batches.length === 0) return [];
    const now = this.ctx.clock.now();
    const accepted = batches.map((batch) => acceptTrustedBatch(batch, now, this.ctx.config.maxMessageSize));
    // Checked only once every batch is valid (a refusal records nothing), through the same per-channel queue as
    // `publish`, so neither overtakes the other.
    const keys = batches.map(trustedBatchKey);
    const checked = this.checkIds(base, keys);
    const fresh = Array.isArray(checked) ? checked : await checked;
    const results: PublishResult[] = accepted.map((messages) => ({ serials: new Array<string | null>(messages.length).fill(null) }));
    const kept = accepted.flatMap((messages, i) => (fresh[i] ? [{ i, messages }] : []));
    if (kept.length === 0) return results;
    // One event for them all, unless the broker judges repeats per event (see Broker.judgesRepeatsPerEvent).
    const events = this.ctx.broker.judgesRepeatsPerEvent ? kept.map((k) => [k]) : [kept];
    const published: AcceptedMessage[] = [];
    for (const group of events) {
      const event = await this.ctx.broker.publish(base, {
        kind: 'message',
        id: newEventId(),
        timestamp: now,
        messages: group.length === 1 ? group[0].messages : group.flatMap((k) => k.messages),
        explicitIds: group.map((k) => keys[k.i]),
      });
      if (event.duplicate) continue;
      // the event's messages are its batches' in order: hand each batch its serials
      let at = 0;
      for (const { i, messages } of group) {
        const mine = event.messages!.slice(at, at + messages.length);
        results[i] = { serials: mine.map((m) => m.serial), timestamp: now };
        at += messages.length;
        // The change stream's rows are JSON text, nearly all ASCII: their length stands for their bytes.
        const nameBytes = batches[i].name?.length ?? 0;
        for (const d of batches[i].data) this.counters.restMessageBytesIn += d.length + nameBytes;
      }
      for (const m of event.messages!) published.push(m);
    }
    if (published.length === 0) return results;
    this.counters.restMessagesIn += published.length;
    await this.ctx.messageStores(base).record(base, published);
    await this.hooks.run({ kind: 'message', channel: base, messages: published });
    return results;
  }

  /** Applies presence changes and publishes the ones that change the set (a re-enter with the same id does not). */
  async publishPresence(channel: string, presence: AcceptedPresence[], eventId: string, connectionId?: string): Promise<void> {
    const store = this.ctx.presence;
    const current = new Map((await store.members(channel)).map((m) => [memberKey(m), m]));
    const changed: AcceptedPresence[] = [];
    for (const p of presence) {
      const existing = current.get(memberKey(p));
      if (p.action === PresenceAction.LEAVE) {
        if (!existing) continue;
        current.delete(memberKey(p));
        // A leave without data reports the data the member had, as Ably does.
        if (p.data === undefined && existing.data !== undefined) {
          p.data = existing.data;
          if (existing.encoding) p.encoding = existing.encoding;
        }
      } else {
        if (existing && existing.id === p.id) continue; // the SDK re-entering its own member after a resume
        if (existing && p.action === PresenceAction.ENTER) p.action = PresenceAction.UPDATE;
        current.set(memberKey(p), p);
      }
      await store.apply(channel, p);
      changed.push(p);
    }
    if (changed.length === 0) return;
    this.counters.presenceIn += changed.length;
    for (const p of changed) this.counters.presenceBytesIn += messageSize(p);
    const now = this.ctx.clock.now();
    await this.ctx.broker.publish(channel, { kind: 'presence', id: eventId, connectionId, timestamp: now, presence: changed });
    this.onPresenceChanged(channel);
    await this.hooks.run({ kind: 'presence', channel, presence: changed });
  }

  /**
   * Asks the idempotency store about explicit ids. The answer may take a round trip (a shared store), and a
   * publish on the same channel must not overtake one still waiting: later publishes wait behind it. With nothing
   * waiting, it answers synchronously when there are no ids or the store is in this process, keeping the publish
   * path synchronous.
   */
  private checkIds(channel: string, ids: string[]): boolean[] | Promise<boolean[]> {
    if (!this.idChecks.busy(channel)) {
      if (!ids.length) return [];
      if (this.idempotency.firstSightingsNow) return this.idempotency.firstSightingsNow(channel, ids);
    }
    return this.idChecks.run(channel, async () => (ids.length ? this.idempotency.firstSightings(channel, ids) : []));
  }

  /** Counts the accepted messages of a publish: realtime when a connection sent them, REST/in-process otherwise. */
  private countIn(origin: PublishOrigin, valid: Array<{ size: number }>, duplicates: ReadonlySet<unknown>): void {
    let n = 0;
    let bytes = 0;
    for (const v of valid) {
      if (duplicates.has(v)) continue;
      n++;
      bytes += v.size;
    }
    const c = this.counters;
    if (origin.connectionId) {
      c.realtimeMessagesIn += n;
      c.realtimeMessageBytesIn += bytes;
    } else {
      c.restMessagesIn += n;
      c.restMessageBytesIn += bytes;
    }
  }
}
