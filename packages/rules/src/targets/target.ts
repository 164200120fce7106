import type { Logger } from 'pino';
import type { RuleConfig } from '../config.js';
import { buildEnvelope, type Envelope, type EnvelopeMeta } from '../envelope.js';
import type { HandedDelivery } from '../queue/delivery-queue.js';

/**
 * Where a rule's deliveries go. `deliver` hands over one item or a batch of one lane's items (one envelope, one
 * call or request); it resolves on success, and a rejection is a failed attempt of the whole batch (retried).
 */
export interface DeliveryTarget {
  deliver(deliveries: Delivery, attempt: number): Promise<void>;
  /** Releases workers and connections; in-flight deliveries fail. */
  close(): Promise<void>;
}

/** What every target needs besides its own config. */
export interface TargetOptions {
  rule: RuleConfig;
  /** App id and site put into envelopes. */
  appId: string;
  site: string;
  logger: Logger;
}

/** One item, or a non-empty batch of items of one (rule, channel) lane in queue order. */
export type Delivery = HandedDelivery | readonly HandedDelivery[];

/** The items of a delivery as a list. */
export function batchOf(deliveries: Delivery): readonly HandedDelivery[] {
  return Array.isArray(deliveries) ? deliveries : [deliveries as HandedDelivery];
}

/** The envelope metadata of a delivery. */
export function envelopeMeta(opts: TargetOptions, delivery: HandedDelivery): EnvelopeMeta {
  return { source: delivery.source, appId: opts.appId, channel: delivery.channel, site: opts.site, ruleId: opts.rule.id };
}

/** The enveloped event of a delivery: every item of the batch in one envelope, in order. */
export function envelopeOf(opts: TargetOptions, deliveries: Delivery): Envelope {
  const batch = batchOf(deliveries);
  return buildEnvelope(
    envelopeMeta(opts, batch[0]),
    batch.map((d) => d.item),
  );
}

/** A failed attempt with a message worth logging as is (no stack needed). */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
}
