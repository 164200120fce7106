// The chat's rule function: what the original ran as an AWS Lambda, Lambda-style `handler(event, context)`.
// The rule `^outgoing-chat$` hands it Ably's envelope; it turns chat actions into rows of `chat_data`,
// which the change stream then publishes on `incoming-chat`.
//
// Fixes over the original: one pool per process (not a connection per call); INSERT idempotent on msg_id (a
// redelivery is a no-op, not a primary-key error); an edit or delete applies only to the publisher's own message;
// payloads are validated and a bad one is logged and skipped (retrying it could never succeed), while a
// database error is thrown so the rule retries the delivery.
import pg from 'pg';

const MAX_USERNAME = 50;
const MAX_CONTENT = 2000;

/** @type {pg.Pool | undefined} */
let pool;

/** The pool is created on first use so DATABASE_URL set by the server before the first delivery is honoured. */
function db() {
  if (!pool) {
    pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', (err) => console.warn('chat function: idle database connection failed:', err.message));
  }
  return pool;
}

/** A rejected payload: logged with the reason, never retried. */
class BadPayload extends Error {}

/** Parses the message's data the way Ably encodes it: an object arrives as a JSON string with encoding "json". */
function parseData(message) {
  let data = message.data;
  if (typeof data === 'string' && (message.encoding === 'json' || /^\s*\{/.test(data))) {
    try {
      data = JSON.parse(data);
    } catch {
      throw new BadPayload('data is not valid JSON');
    }
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new BadPayload('data is not an object');
  return data;
}

function text(value, field, max) {
  if (typeof value !== 'string') throw new BadPayload(`${field} must be a string`);
  const trimmed = value.trim();
  if (trimmed.length === 0) throw new BadPayload(`${field} is empty`);
  if (trimmed.length > max) throw new BadPayload(`${field} is longer than ${max} characters`);
  return trimmed;
}

/**
 * Applies one chat action with `sql` (the pool, or the batch's transaction); returns what it did, for the log and
 * the tests.
 * @param {Record<string, unknown>} message
 * @param {pg.Pool | pg.PoolClient} sql
 */
async function apply(message, sql) {
  if (typeof message.clientId !== 'string' || message.clientId === '' || message.clientId === '*') {
    throw new BadPayload('the publisher has no clientId');
  }
  const data = parseData(message);
  switch (message.name) {
    case 'chatMsg': {
      const username = text(data.username, 'username', MAX_USERNAME);
      const content = text(data.content, 'content', MAX_CONTENT);
      if (typeof message.id !== 'string' || message.id === '') throw new BadPayload('message has no id');
      const res = await sql.query(
        `INSERT INTO chat_data (username, msg_id, msg_data, client_id, created_at_timestamp, is_edited)
         VALUES ($1, $2, $3, $4, $5, false) ON CONFLICT (msg_id) DO NOTHING`,
        [username, message.id, content, message.clientId, Number(message.timestamp) || Date.now()],
      );
      return res.rowCount ? 'inserted' : 'duplicate';
    }
    case 'editedMsg': {
      const content = text(data.content, 'content', MAX_CONTENT);
      const msgId = text(data.msgIdToEdit, 'msgIdToEdit', 200);
      // IS DISTINCT FROM: an edit that changes nothing does not mark the message edited nor emit a change.
      const res = await sql.query(
        `UPDATE chat_data SET msg_data = $1, is_edited = true
         WHERE msg_id = $2 AND client_id = $3 AND msg_data IS DISTINCT FROM $1`,
        [content, msgId, message.clientId],
      );
      return res.rowCount ? 'updated' : 'not-own-or-unchanged';
    }
    case 'deletedMsg': {
      const msgId = text(data.msgIdToDelete, 'msgIdToDelete', 200);
      const res = await sql.query(`DELETE FROM chat_data WHERE msg_id = $1 AND client_id = $2`, [
        msgId,
        message.clientId,
      ]);
      return res.rowCount ? 'deleted' : 'not-own-or-missing';
    }
    default:
      throw new BadPayload(`unknown message name ${JSON.stringify(message.name)}`);
  }
}

/** Applies the messages in order with `sql`; a bad payload is logged and skipped, a database error thrown. */
async function applyAll(messages, sql) {
  const results = [];
  for (const message of messages) {
    try {
      results.push(await apply(message, sql));
    } catch (err) {
      if (!(err instanceof BadPayload)) throw err;
      console.warn(`chat function: rejected message ${String(message?.id)} (${String(message?.name)}): ${err.message}`);
      results.push(`rejected: ${err.message}`);
    }
  }
  return results;
}

/**
 * Lambda-style entry point. The messages of the envelope are applied in order, in one transaction when there are
 * several (a batched rule hands over what queued up): one commit, one WAL flush, for the whole envelope, and the
 * change stream sees its rows together. A bad payload is logged and skipped; a database failure rolls the
 * envelope back and is thrown, so the rule retries the whole delivery (safe: every action is idempotent).
 * @param {{ messages?: Array<Record<string, unknown>> }} event
 * @returns {Promise<{ results: string[] }>}
 */
export async function handler(event) {
  const messages = Array.isArray(event?.messages) ? event.messages : [];
  if (messages.length <= 1) return { results: await applyAll(messages, db()) };
  const client = await db().connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const results = await applyAll(messages, client);
    await client.query('COMMIT');
    return { results };
  } catch (err) {
    // a connection that cannot even roll back is not given back to the pool
    broken = await client.query('ROLLBACK').then(() => false, () => true);
    throw err;
  } finally {
    client.release(broken);
  }
}
