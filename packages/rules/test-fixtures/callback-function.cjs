// Test function in the old Lambda callback style: `handler(event, context, callback)` returning nothing and
// settling through the callback. Fails (through the callback) for messages named "fail".
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });

exports.handler = (event, context, callback) => {
  const message = event.messages[0];
  if (message.name === 'fail') {
    setImmediate(() => callback(new Error('failed through the callback')));
    return;
  }
  pool.query(
    `INSERT INTO rule_log (rule_id, delivery_id, channel, name, envelope) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (rule_id, delivery_id) DO UPDATE SET deliveries = rule_log.deliveries + 1`,
    [event.ruleId, message.id, event.channel, message.name, JSON.stringify(event)],
    (err) => callback(err ?? null, 'ok'),
  );
};
