// Test function for `transaction: true`: writes each message of the envelope to `rule_log` through `context.db`
// (the transaction that also removes the batch from the queue); a second application would bump `deliveries`.
// By message name, on the first attempt only: `fail-after-write` throws after writing (the write must roll back),
// `slow-after-write` writes, then outlasts the call's timeout (DELAY_MS) before returning (its commit lands after
// the lane gave up on the call and retried).
export async function handler(event, context) {
  for (const item of event.messages) {
    await context.db.query(
      `INSERT INTO rule_log (rule_id, delivery_id, channel, name, envelope, attempt_seen)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (rule_id, delivery_id) DO UPDATE SET deliveries = rule_log.deliveries + 1`,
      [event.ruleId, item.id, event.channel, item.name ?? null, JSON.stringify(event), context.attempt],
    );
  }
  if (context.attempt > 1) return;
  const names = event.messages.map((m) => m.name);
  if (names.includes('fail-after-write')) throw new Error('failed after writing, on purpose');
  if (names.includes('slow-after-write')) await new Promise((resolve) => setTimeout(resolve, Number(process.env.DELAY_MS)));
}
