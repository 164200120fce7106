// Test function (ESM, default export): misbehaves by message name. "spin" never returns (a busy loop that blocks
// its thread), "hang" returns a promise that never settles, "throw" throws, "hog" allocates until it runs out of
// memory, "reject-later" leaves an unhandled rejection behind and succeeds; anything else is recorded in `rule_log`.
import pg from 'pg';

let pool;

export default async function (event) {
  const message = event.messages[0];
  switch (message.name) {
    case 'spin':
      for (;;) {}
    case 'hang':
      return new Promise(() => {});
    case 'throw':
      throw new TypeError('thrown on purpose');
    case 'hog': {
      const hoard = [];
      for (;;) hoard.push(new Array(1e6).fill(Math.random()));
    }
    case 'reject-later':
      Promise.reject(new Error('stray rejection on purpose'));
      break;
  }
  pool ??= new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  await pool.query(
    `INSERT INTO rule_log (rule_id, delivery_id, channel, name, envelope) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (rule_id, delivery_id) DO UPDATE SET deliveries = rule_log.deliveries + 1`,
    [event.ruleId, message.id, event.channel, message.name ?? null, JSON.stringify(event)],
  );
}
