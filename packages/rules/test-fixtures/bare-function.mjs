// Test function for `enveloped: false`: it receives the message's data itself (an object for JSON, a Buffer for
// binary, a string for text) and records what it got in `rule_log`.
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });

export async function handler(data, context) {
  const described = Buffer.isBuffer(data) ? { kind: 'buffer', bytes: [...data] } : { kind: typeof data, value: data };
  await pool.query(`INSERT INTO rule_log (rule_id, delivery_id, name, envelope) VALUES ('bare', $1, $2, $3)`, [
    context.deliveryId,
    described.kind,
    JSON.stringify(described),
  ]);
}
