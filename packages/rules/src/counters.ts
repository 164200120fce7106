import { Counter, register } from 'prom-client';

/** Per-rule delivery counts: kept in memory for `stats()` and exported to Prometheus (the default registry). */
export interface RuleCounters {
  enqueued(ruleId: string, n: number): void;
  delivered(ruleId: string): void;
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
  return {
    enqueued(ruleId, n) {
      of(ruleId).enqueued += n;
      enqueued.inc({ rule: ruleId }, n);
    },
    delivered(ruleId) {
      of(ruleId).delivered++;
      delivered.inc({ rule: ruleId });
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
