import { z } from 'zod';

/**
 * The `rules` section of Rowcast's configuration file: Ably-style integration rules. Each rule sends what is
 * published on matching channels to a Lambda-style function or an HTTP endpoint, in order per channel, at least
 * once, retried with exponential backoff, then dead-lettered.
 */

/**
 * Retry policy of one rule: `attempts` deliveries in all, waiting base * 2^(n-1) (capped at max) between them,
 * jittered down by up to half (core's backoffDelay) so lanes that failed together do not retry in lockstep. The
 * defaults keep retrying for two to four minutes (up to 1+2+4+...+60+60+60 s), close to the five minutes Ably
 * keeps a failing webhook's events, before the item is dead-lettered and the channel moves on.
 */
export const retrySchema = z.strictObject({
  attempts: z.number().int().min(1).max(1000).default(10),
  backoffBaseMs: z.number().int().min(0).default(1_000),
  backoffMaxMs: z.number().int().min(0).default(60_000),
});

export const functionTargetSchema = z.strictObject({
  type: z.literal('function'),
  /** Path of an ESM or CommonJS module, relative to the config file's directory. */
  module: z.string().min(1),
  /** Name of the exported function (Lambda's `index.handler` -> `handler`); `default` works too. */
  handler: z.string().min(1).default('handler'),
  /** A call not settled within this time is a failed attempt. */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Environment variables the function sees in `process.env` (like Lambda's), on top of the server's own. */
  env: z.record(z.string(), z.string()).optional(),
  /** Heap limit of the function's worker (Lambda's memory size): a function that exceeds it is restarted. */
  memoryMb: z.number().int().min(16).max(16_384).default(512),
  /**
   * Exactly once for a function that writes to the rules queue's database: each call runs in one transaction that
   * removes the delivered messages from the queue; the handler writes through `context.db` in that transaction,
   * and both commit together or not at all. Needs the durable queue (a database).
   */
  transaction: z.boolean().default(false),
});

/** Ably's rule format gives headers as `[{ name, value }]`; a plain object is accepted too. */
const headersSchema = z
  .union([z.record(z.string(), z.string()), z.array(z.strictObject({ name: z.string().min(1), value: z.string() }))])
  .transform((h) => (Array.isArray(h) ? Object.fromEntries(h.map(({ name, value }) => [name, value])) : h));

export const httpTargetSchema = z.strictObject({
  type: z.literal('http'),
  url: z.url({ protocol: /^https?$/ }),
  /** Key name (`appId.keyId`) whose secret signs each request body (X-Ably-Key, X-Ably-Signature). */
  signingKey: z.string().min(1).optional(),
  headers: headersSchema.optional(),
  timeoutMs: z.number().int().positive().default(15_000),
});

/**
 * Batched delivery (opt-in): a lane hands its target up to `maxMessages` queued items of one channel in ONE
 * envelope (`messages[]` / `presence[]` in queue order), as Ably's rules do. The default 1 keeps one item per call,
 * so functions written like the original (reading `messages[0]`) keep working.
 */
export const batchSchema = z.strictObject({
  maxMessages: z.number().int().min(1).max(1000).default(1),
});

const channelFilterSchema = z
  .string()
  .default('')
  .refine(
    (source) => {
      try {
        new RegExp(source);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'channelFilter is not a valid regular expression' },
  );

export const ruleSchema = z
  .strictObject({
    id: z.string().min(1).max(200),
    /** A regular expression as in Ably's rules: `^outgoing-chat$`, `^orders:.*`; empty matches every channel. */
    channelFilter: channelFilterSchema,
    source: z.enum(['channel.message', 'channel.presence']).default('channel.message'),
    enveloped: z.boolean().default(true),
    target: z.discriminatedUnion('type', [functionTargetSchema, httpTargetSchema]),
    retry: retrySchema.prefault({}),
    batch: batchSchema.prefault({}),
    /** Deliveries of this rule in flight at once, across channels (one per channel at most, for ordering). */
    concurrency: z.number().int().min(1).max(10_000).default(32),
  })
  .refine((rule) => rule.enveloped || rule.batch.maxMessages === 1, {
    // A non-enveloped event is one message's bare data: there is nowhere to put a second message.
    message: 'batch.maxMessages above 1 needs enveloped: true',
    path: ['batch', 'maxMessages'],
  });

/** The whole `rules` section: a list of rules with distinct ids. */
export const rulesSectionSchema = z.array(ruleSchema).superRefine((rules, ctx) => {
  const seen = new Set<string>();
  rules.forEach((rule, index) => {
    if (seen.has(rule.id)) {
      ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate rule id "${rule.id}"` });
    }
    seen.add(rule.id);
  });
});

export type RuleConfig = z.output<typeof ruleSchema>;
export type RuleConfigInput = z.input<typeof ruleSchema>;
export type FunctionTargetConfig = z.output<typeof functionTargetSchema>;
export type HttpTargetConfig = z.output<typeof httpTargetSchema>;
export type RetryPolicy = z.output<typeof retrySchema>;
export type BatchPolicy = z.output<typeof batchSchema>;
export type RuleSource = RuleConfig['source'];
