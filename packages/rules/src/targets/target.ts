import type { Logger } from 'pino';
import type { RuleConfig } from '../config.js';
import { buildEnvelope, type Envelope, type EnvelopeMeta } from '../envelope.js';
import type { QueuedDelivery } from '../queue/delivery-queue.js';

/** Where a rule's deliveries go. `deliver` resolves on success; a rejection is a failed attempt (retried). */
export interface DeliveryTarget {
  deliver(delivery: QueuedDelivery, attempt: number): Promise<void>;
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

/** The envelope metadata of a delivery. */
export function envelopeMeta(opts: TargetOptions, delivery: QueuedDelivery): EnvelopeMeta {
  return { source: delivery.source, appId: opts.appId, channel: delivery.channel, site: opts.site, ruleId: opts.rule.id };
}

/** The enveloped event of a delivery. */
export function envelopeOf(opts: TargetOptions, delivery: QueuedDelivery): Envelope {
  return buildEnvelope(envelopeMeta(opts, delivery), delivery.item);
}

/** A failed attempt with a message worth logging as is (no stack needed). */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
}
