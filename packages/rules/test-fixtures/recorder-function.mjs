// Test function (ESM): records each delivery in `rule_log`, idempotent on (rule, message id): a redelivery only
// bumps `deliveries`. Module-level state (the pool, the failure counts) proves the module is loaded once.
// Behaviour from the environment the rule gives it: FAIL_FIRST=n fails the first n calls for each message id,
// DELAY_MS=n waits that long before writing (a slow target).
import pg from 'pg';

let pool;
const failuresById = new Map();
const failFirst = Number(process.env.FAIL_FIRST ?? 0);
const delayMs = Number(process.env.DELAY_MS ?? 0);

function db() {
  pool ??= new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
  return pool;
}

export async function handler(event, context) {
  const item = event.messages?.[0] ?? event.presence?.[0];
  const failed = failuresById.get(item.id) ?? 0;
  if (failed < failFirst) {
    failuresById.set(item.id, failed + 1);
    throw new Error(`planned failure ${failed + 1} of ${failFirst} for ${item.id}`);
  }
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  await db().query(
    `INSERT INTO rule_log (rule_id, delivery_id, channel, name, envelope, attempt_seen)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (rule_id, delivery_id) DO UPDATE SET deliveries = rule_log.deliveries + 1`,
    [event.ruleId, item.id, event.channel, item.name ?? null, JSON.stringify(event), context.attempt],
  );
  return 'recorded';
}
