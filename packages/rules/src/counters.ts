import { Counter, Histogram, register } from 'prom-client';

/** Per-rule delivery counts: kept in memory for `stats()` and exported to Prometheus (the default registry). */
export interface RuleCounters {
  enqueued(ruleId: string, n: number): void;
  /** One item delivered, `latencyMs` after it was accepted on its channel. */
  delivered(ruleId: string, latencyMs: number): void;
  failedAttempt(ruleId: string): void;
  deadLettered(ruleId: string): void;
  snapshot(): Record<string, RuleStats>;
}

export interface RuleStats {
  enqueued: number;
  delivered: number;
  failedAttempts: number;
  deadLettered: number;
}

/** One Counter per name for the whole process: several engines (tests, restarts in-process) share it. */
function counter(name: string, help: string): Counter<'rule'> {
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Counter<'rule'>;
  return new Counter({ name, help, labelNames: ['rule'] });
}

/** The delivery latency histogram, one per process like the counters. */
function latencyHistogram(): Histogram<'rule'> {
  const name = 'rowcast_rule_delivery_latency_seconds';
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Histogram<'rule'>;
  return new Histogram({
    name,
    help: 'Time from a message being accepted on its channel to its rule delivery succeeding',
    labelNames: ['rule'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  });
}

/** Counters for one rules engine. */
export function createCounters(): RuleCounters {
  const stats = new Map<string, RuleStats>();
  const of = (ruleId: string): RuleStats => {
    let s = stats.get(ruleId);
    if (!s) stats.set(ruleId, (s = { enqueued: 0, delivered: 0, failedAttempts: 0, deadLettered: 0 }));
    return s;
  };
  const enqueued = counter('rowcast_rule_enqueued_total', 'Messages queued for integration rules');
  const delivered = counter('rowcast_rule_delivered_total', 'Rule deliveries that succeeded');
  const failed = counter('rowcast_rule_failed_attempts_total', 'Rule delivery attempts that failed (each retry counts)');
  const dead = counter('rowcast_rule_dead_letters_total', 'Rule deliveries given up after their last attempt');
  const latency = latencyHistogram();
  return {
    enqueued(ruleId, n) {
      of(ruleId).enqueued += n;
      enqueued.inc({ rule: ruleId }, n);
    },
    delivered(ruleId, latencyMs) {
      of(ruleId).delivered++;
      delivered.inc({ rule: ruleId });
      latency.observe({ rule: ruleId }, Math.max(0, latencyMs) / 1000);
    },
    failedAttempt(ruleId) {
      of(ruleId).failedAttempts++;
      failed.inc({ rule: ruleId });
    },
    deadLettered(ruleId) {
      of(ruleId).deadLettered++;
      dead.inc({ rule: ruleId });
    },
    snapshot() {
      return Object.fromEntries([...stats].map(([id, s]) => [id, { ...s }]));
    },
  };
}
