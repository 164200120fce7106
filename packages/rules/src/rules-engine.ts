import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { AcceptedEvent, AcceptedHook } from '@rowcast/core';
import { errors } from '@rowcast/protocol';
import { ChannelMatcher } from './channel-matcher.js';
import type { FunctionTargetConfig, HttpTargetConfig, RuleConfig, RuleSource } from './config.js';
import { createCounters, type RuleCounters, type RuleStats } from './counters.js';
import { envelopeMessage, envelopePresence, type EnvelopeItem } from './envelope.js';
import type { DeadLetter, DeadLetterFilter, DeliveryQueue, NewDelivery } from './queue/delivery-queue.js';
import { MemoryDeliveryQueue } from './queue/memory-queue.js';
import { PostgresDeliveryQueue, QUEUE_TABLE } from './queue/postgres-queue.js';
import { DeliveryLeadership, type QueueNotice } from './queue/delivery-leadership.js';
import { RuleLane } from './rule-lane.js';
import { Semaphore } from './semaphore.js';
import { FunctionTarget } from './targets/function-target.js';
import { HttpTarget, type SigningKey } from './targets/http-target.js';
import type { DeliveryTarget, TargetOptions } from './targets/target.js';

const STOP_GRACE_MS = 5_000;
const SWEEP_INTERVAL_MS = 30_000;

export interface RulesEngineOptions {
  rules: RuleConfig[];
  logger: Logger;
  /** Relative function module paths resolve against this directory (the config file's). */
  baseDir: string;
  /** Durable queue in this database; without it the queue is in memory. */
  databaseUrl?: string;
  /** Put into envelopes as `appId` and `site`. */
  appId: string;
  site: string;
  /** The secret of a signing key named in a webhook rule. */
  resolveSigningKey: (keyName: string) => SigningKey | undefined;
  /** Environment given to function workers on top of the server's (e.g. DATABASE_URL). */
  functionEnv?: Record<string, string>;
  /** How long `stop()` lets deliveries in flight finish before cutting them short (default 5 s). */
  stopGraceMs?: number;
}

interface RuntimeRule {
  config: RuleConfig;
  target: DeliveryTarget;
  semaphore: Semaphore;
  lanes: Map<string, RuleLane>;
  logger: Logger;
}

/**
 * Integration rules: `hook` runs for every accepted publish (before its ACK) and durably queues what matching
 * rules must deliver; lanes per (rule, channel) then hand items to the targets in order, retrying with backoff
 * and dead-lettering after the last attempt. Queued items left by a previous run are delivered on start.
 */
export class RulesEngine {
  readonly hook: AcceptedHook;
  private readonly messageMatcher: ChannelMatcher;
  private readonly presenceMatcher: ChannelMatcher;
  private readonly runtime = new Map<string, RuntimeRule>();
  private readonly counters: RuleCounters = createCounters();
  private stopped = false;
  /** With a database: whether this node is the one delivering. Without one, this node always delivers. */
  private leadership?: DeliveryLeadership;
  private resuming?: Promise<void>;
  private halting: Promise<unknown> = Promise.resolve();
  private sweepTimer?: NodeJS.Timeout;
  private readonly warnedOrphans = new Set<string>();

  private constructor(
    private readonly opts: RulesEngineOptions,
    private readonly queue: DeliveryQueue,
  ) {
    this.messageMatcher = new ChannelMatcher(opts.rules, 'channel.message');
    this.presenceMatcher = new ChannelMatcher(opts.rules, 'channel.presence');
    this.hook = (event) => this.accept(event);
  }

  /**
   * Validates targets (function modules load, signing keys exist), opens the queue and, if this node is the one
   * delivering (always without a database), resumes its backlog.
   */
  static async start(opts: RulesEngineOptions): Promise<RulesEngine> {
    const nodeId = randomBytes(6).toString('hex');
    let engine: RulesEngine | undefined;
    // enqueues wake the delivering node, unless it is this one (it signals its own lanes). An item enqueued
    // while this node is losing the lock unawares reaches the next leader through its resume or its sweep.
    const notifies = () => !engine?.leadership?.isLeader;
    const queue = opts.databaseUrl ? await PostgresDeliveryQueue.open(opts.databaseUrl, opts.logger, nodeId, notifies) : new MemoryDeliveryQueue();
    engine = new RulesEngine(opts, queue);
    try {
      for (const rule of opts.rules) await engine.addRule(rule);
      if (opts.databaseUrl) {
        engine.leadership = new DeliveryLeadership(
          opts.databaseUrl,
          nodeId,
          {
            acquired: () => void (engine.resuming = engine.resume()),
            lost: () => engine.haltLanes(),
            notified: (notice) => engine.onNotice(notice),
          },
          opts.logger,
        );
        await engine.leadership.start();
        // A NOTIFY can be missed (the listening session was being replaced): the leader rescans now and then.
        engine.sweepTimer = setInterval(() => {
          if (engine.leadership?.isLeader) void engine.resume();
        }, SWEEP_INTERVAL_MS);
        engine.sweepTimer.unref();
        await engine.resuming;
      }
    } catch (err) {
      await engine.stop();
      throw err;
    }
    opts.logger.info({ rules: opts.rules.map((r) => r.id), queue: opts.databaseUrl ? 'postgres' : 'memory' }, 'integration rules started');
    return engine;
  }

  /** Per-rule counts since start. */
  stats(): Record<string, RuleStats> {
    return this.counters.snapshot();
  }

  /** Items waiting in the queue (all rules). */
  queued(): Promise<number> {
    return this.queue.size();
  }

  /** The most recent dead letters, newest first. */
  deadLetters(limit?: number): Promise<DeadLetter[]> {
    return this.queue.deadLetters(limit);
  }

  /** Puts dead letters back in the queue (see DeliveryQueue.requeueDeadLetters) and wakes their lanes. */
  async requeueDeadLetters(filter?: DeadLetterFilter): Promise<number> {
    const n = await this.queue.requeueDeadLetters(filter);
    if (n > 0 && (!this.leadership || this.leadership.isLeader)) await this.resume();
    return n;
  }

  /**
   * Stops the lanes, lets deliveries in flight finish for a grace period, then closes the targets (cutting the
   * rest short: they are delivered again after a restart) and the queue. Queued items stay queued.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.sweepTimer);
    const lanes = [...this.runtime.values()].flatMap((rule) => [...rule.lanes.values()]);
    const stopped = Promise.all(lanes.map((lane) => lane.stop()));
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([stopped, new Promise((resolve) => (grace = setTimeout(resolve, this.opts.stopGraceMs ?? STOP_GRACE_MS)))]);
    clearTimeout(grace);
    for (const rule of this.runtime.values()) await rule.target.close();
    await stopped;
    await this.halting;
    // the lock is released only now, so no other node starts on a lane whose delivery was still in flight
    await this.leadership?.stop();
    await this.queue.close();
  }

  /** Another node enqueued: wake those lanes (or rescan the queue). */
  private onNotice(notice: QueueNotice): void {
    if (notice.lanes === '*') void this.resume();
    else for (const { ruleId, channel } of notice.lanes) this.lane(ruleId, channel)?.signal(true);
  }

  /** This node lost the delivery lock: stop every lane (another node takes over from the queue). */
  private haltLanes(): void {
    const lanes = [...this.runtime.values()].flatMap((rule) => {
      const halted = [...rule.lanes.values()];
      rule.lanes.clear();
      return halted;
    });
    this.halting = Promise.all([this.halting, ...lanes.map((lane) => lane.stop())]);
  }

  private accept(event: AcceptedEvent): void | Promise<void> {
    if (event.kind === 'message') {
      if (this.messageMatcher.empty) return;
      const rules = this.messageMatcher.match(event.channel);
      if (rules.length === 0) return;
      return this.enqueue(rules, event.channel, 'channel.message', event.messages.map(envelopeMessage));
    }
    if (this.presenceMatcher.empty) return;
    const rules = this.presenceMatcher.match(event.channel);
    if (rules.length === 0) return;
    return this.enqueue(rules, event.channel, 'channel.presence', event.presence.map(envelopePresence));
  }

  private async enqueue(rules: readonly RuleConfig[], channel: string, source: RuleSource, items: EnvelopeItem[]): Promise<void> {
    if (items.length === 0) return;
    if (this.stopped) throw errors.internal('integration rules are stopping; publish refused');
    const deliveries: NewDelivery[] = [];
    for (const rule of rules) {
      for (const item of items) deliveries.push({ ruleId: rule.id, channel, source, deliveryId: item.id, item });
    }
    const stored = this.queue.enqueue(deliveries);
    // Lanes get the items at once, while the enqueue commits (see RuleLane.offer); not a transactional function's
    // lane: its call removes its items from the queue in its own transaction, so they must be stored first.
    // A lane that did not take them is signalled once they are stored, through `lane()`: it may have run dry and
    // been replaced meanwhile.
    const offered = rules.map((rule, r) => {
      const lane = isTransactional(rule) ? undefined : this.lane(rule.id, channel);
      const [from, to] = [r * items.length, (r + 1) * items.length];
      return (
        lane?.offer(
          deliveries.slice(from, to),
          stored.then((seqs) => seqs.slice(from, to)),
        ) ?? false
      );
    });
    try {
      await stored;
    } catch (err) {
      this.opts.logger.error({ channel, err: (err as Error).message }, 'rules queue: enqueue failed; publish refused');
      throw errors.internal('integration rules queue unavailable');
    }
    rules.forEach((rule, r) => {
      this.counters.enqueued(rule.id, items.length);
      if (!offered[r]) this.lane(rule.id, channel)?.signal();
    });
  }

  /** The lane of (rule, channel), created on demand; undefined when this node does not deliver. */
  private lane(ruleId: string, channel: string): RuleLane | undefined {
    const rule = this.runtime.get(ruleId);
    if (!rule || this.stopped || (this.leadership && !this.leadership.isLeader)) return undefined;
    let lane = rule.lanes.get(channel);
    if (!lane) {
      const created: RuleLane = new RuleLane(channel, {
        rule: rule.config,
        target: rule.target,
        queue: this.queue,
        semaphore: rule.semaphore,
        counters: this.counters,
        logger: rule.logger,
        onIdle: () => {
          if (rule.lanes.get(channel) === created) rule.lanes.delete(channel);
        },
      });
      rule.lanes.set(channel, (lane = created));
    }
    return lane;
  }

  private async addRule(config: RuleConfig): Promise<void> {
    const logger = this.opts.logger.child({ rule: config.id });
    const targetOpts: TargetOptions = { rule: config, appId: this.opts.appId, site: this.opts.site, logger };
    if (config.target.type === 'function') {
      const fn = config.target as FunctionTargetConfig;
      const modulePath = isAbsolute(fn.module) ? fn.module : resolve(this.opts.baseDir, fn.module);
      if (!existsSync(modulePath)) throw new Error(`rule "${config.id}": function module ${modulePath} does not exist`);
      const env = { ...process.env, ...this.opts.functionEnv, ...fn.env };
      if (fn.transaction && !this.opts.databaseUrl) {
        throw new Error(`rule "${config.id}": "transaction": true needs the durable queue (a database)`);
      }
      const queue = fn.transaction && this.opts.databaseUrl ? { databaseUrl: this.opts.databaseUrl, table: QUEUE_TABLE } : undefined;
      const functionTarget = new FunctionTarget(targetOpts, modulePath, env, queue);
      this.runtime.set(config.id, { config, target: functionTarget, semaphore: new Semaphore(config.concurrency), lanes: new Map(), logger });
      try {
        await functionTarget.start();
      } catch (err) {
        throw new Error(`rule "${config.id}": ${(err as Error).message}`);
      }
      return;
    }
    const http = config.target as HttpTargetConfig;
    let key: SigningKey | undefined;
    if (http.signingKey) {
      key = this.opts.resolveSigningKey(http.signingKey);
      if (!key) throw new Error(`rule "${config.id}": signing key "${http.signingKey}" is not a configured key`);
    }
    const target: DeliveryTarget = new HttpTarget(targetOpts, key);
    this.runtime.set(config.id, { config, target, semaphore: new Semaphore(config.concurrency), lanes: new Map(), logger });
  }

  /** Starts lanes for everything queued (left by a previous run, or by other nodes). */
  private async resume(): Promise<void> {
    await this.halting; // lanes of a lost leadership must finish before new ones start on the same items
    const orphans = new Map<string, number>();
    let lanes;
    try {
      lanes = await this.queue.lanes();
    } catch (err) {
      this.opts.logger.error({ err: (err as Error).message }, 'rules: cannot read the queue to resume it');
      return;
    }
    for (const { ruleId, channel } of lanes) {
      if (this.runtime.has(ruleId)) this.lane(ruleId, channel)?.signal(true);
      else orphans.set(ruleId, (orphans.get(ruleId) ?? 0) + 1);
    }
    for (const [ruleId, channels] of orphans) {
      if (this.warnedOrphans.has(ruleId)) continue;
      this.warnedOrphans.add(ruleId);
      this.opts.logger.warn({ rule: ruleId, channels }, 'queued deliveries belong to a rule no longer configured; left in the queue');
    }
  }
}

/** A function rule whose calls remove their items from the queue in their own transaction. */
function isTransactional(rule: RuleConfig): boolean {
  return rule.target.type === 'function' && (rule.target as FunctionTargetConfig).transaction;
}
