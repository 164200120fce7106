// Test function (ESM) for batched rules: records every call in `batch_calls` (call number, attempt, the ids of its
// envelope in order) and then each message in `rule_log`, idempotent on (rule, message id) as recorder-function.mjs.
// Behaviour from the environment the rule gives it: DELAY_MS=n waits before writing (a slow target),
// FAIL_FIRST_CALLS=n fails the first n calls (after recording them), whatever they carry.
// The test creates `batch_calls` before any rule runs: two rules' workers racing on CREATE TABLE IF NOT EXISTS can
// fail one of them with a pg_type unique violation, which would show up as a spurious failed attempt.
import pg from 'pg';

let pool;
let calls = 0;
const delayMs = Number(process.env.DELAY_MS ?? 0);
const failFirstCalls = Number(process.env.FAIL_FIRST_CALLS ?? 0);

function db() {
  pool ??= new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
  return pool;
}

export async function handler(event, context) {
  const call = ++calls;
  const items = event.messages ?? event.presence ?? [];
  const sql = db();
  await sql.query(`INSERT INTO batch_calls (rule_id, call, attempt, ids) VALUES ($1, $2, $3, $4)`, [
    event.ruleId,
    call,
    context.attempt,
    items.map((item) => item.id),
  ]);
  if (call <= failFirstCalls) throw new Error(`planned failure of call ${call}`);
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  for (const item of items) {
    await sql.query(
      `INSERT INTO rule_log (rule_id, delivery_id, channel, name, envelope, attempt_seen)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (rule_id, delivery_id) DO UPDATE SET deliveries = rule_log.deliveries + 1`,
      [event.ruleId, item.id, event.channel, item.name ?? null, JSON.stringify({ call, size: items.length }), context.attempt],
    );
  }
  return 'recorded';
}
