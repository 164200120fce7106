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
 * What one message asks for, validated: an insert, an edit or a delete by its publisher. Throws BadPayload.
 * @param {Record<string, unknown>} message
 */
function actionOf(message) {
  if (typeof message.clientId !== 'string' || message.clientId === '' || message.clientId === '*') {
    throw new BadPayload('the publisher has no clientId');
  }
  const data = parseData(message);
  switch (message.name) {
    case 'chatMsg': {
      const username = text(data.username, 'username', MAX_USERNAME);
      const content = text(data.content, 'content', MAX_CONTENT);
      if (typeof message.id !== 'string' || message.id === '') throw new BadPayload('message has no id');
      const timestamp = Number(message.timestamp) || Date.now();
      return { kind: 'insert', row: [username, message.id, content, message.clientId, timestamp] };
    }
    case 'editedMsg':
      return {
        kind: 'edit',
        content: text(data.content, 'content', MAX_CONTENT),
        msgId: text(data.msgIdToEdit, 'msgIdToEdit', 200),
        clientId: message.clientId,
      };
    case 'deletedMsg':
      return { kind: 'delete', msgId: text(data.msgIdToDelete, 'msgIdToDelete', 200), clientId: message.clientId };
    default:
      throw new BadPayload(`unknown message name ${JSON.stringify(message.name)}`);
  }
}

/**
 * Inserts chat messages in one statement (rows in the given order, so incremental_record_id follows it), idempotent
 * on msg_id; returns 'inserted' or 'duplicate' for each, a msg_id repeated in the list being a duplicate too.
 */
async function insertRows(rows, sql) {
  const column = (k) => rows.map((row) => row[k]);
  const res = await sql.query(
    `INSERT INTO chat_data (username, msg_id, msg_data, client_id, created_at_timestamp, is_edited)
     SELECT u.*, false FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) AS u
     ON CONFLICT (msg_id) DO NOTHING RETURNING msg_id`,
    [column(0), column(1), column(2), column(3), column(4)],
  );
  const inserted = new Set(res.rows.map((r) => r.msg_id));
  return rows.map(([, msgId]) => (inserted.delete(msgId) ? 'inserted' : 'duplicate'));
}

/** Applies an edit or a delete; only the author's own message changes. */
async function applyChange(action, sql) {
  if (action.kind === 'edit') {
    // IS DISTINCT FROM: an edit that changes nothing does not mark the message edited nor emit a change.
    const res = await sql.query(
      `UPDATE chat_data SET msg_data = $1, is_edited = true
       WHERE msg_id = $2 AND client_id = $3 AND msg_data IS DISTINCT FROM $1`,
      [action.content, action.msgId, action.clientId],
    );
    return res.rowCount ? 'updated' : 'not-own-or-unchanged';
  }
  const res = await sql.query(`DELETE FROM chat_data WHERE msg_id = $1 AND client_id = $2`, [action.msgId, action.clientId]);
  return res.rowCount ? 'deleted' : 'not-own-or-missing';
}

/**
 * The envelope's valid actions as statements, in message order: consecutive inserts share one statement (a
 * batched rule hands over what queued up, mostly new messages), each edit or delete is its own.
 */
function plan(actions) {
  const steps = [];
  for (const action of actions) {
    const last = steps[steps.length - 1];
    if (action.kind === 'insert' && last?.kind === 'insert') last.actions.push(action);
    else steps.push({ kind: action.kind, actions: [action] });
  }
  return steps;
}

/** Runs the steps in order with `sql`; returns each action's outcome, in order. */
async function run(steps, sql) {
  const outcomes = [];
  for (const step of steps) {
    if (step.kind === 'insert')
      outcomes.push(
        ...(await insertRows(
          step.actions.map((a) => a.row),
          sql,
        )),
      );
    else outcomes.push(await applyChange(step.actions[0], sql));
  }
  return outcomes;
}

/**
 * Lambda-style entry point. Each message is validated first: a bad payload is logged and skipped (retrying it
 * could never succeed). The rest are applied in order, consecutive new messages in one INSERT, and in one
 * transaction when that takes several statements: one commit, one WAL flush, for the whole envelope, and the
 * change stream sees its rows together. A database failure rolls the envelope back and is thrown, so the rule
 * retries the whole delivery (safe: every action is idempotent).
 * @param {{ messages?: Array<Record<string, unknown>> }} event
 * @returns {Promise<{ results: string[] }>}
 */
export async function handler(event) {
  const messages = Array.isArray(event?.messages) ? event.messages : [];
  /** @type {Array<string | undefined>} */
  const results = [];
  const actions = [];
  for (const message of messages) {
    try {
      actions.push(actionOf(message));
      results.push(undefined); // filled in once applied
    } catch (err) {
      if (!(err instanceof BadPayload)) throw err;
      console.warn(`chat function: rejected message ${String(message?.id)} (${String(message?.name)}): ${err.message}`);
      results.push(`rejected: ${err.message}`);
    }
  }
  const steps = plan(actions);
  const outcomes = steps.length <= 1 ? await run(steps, db()) : await inTransaction((client) => run(steps, client));
  let next = 0;
  return { results: results.map((r) => r ?? outcomes[next++]) };
}

/** Runs `work` in a transaction on one pooled connection. */
async function inTransaction(work) {
  const client = await db().connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // a connection that cannot even roll back is not given back to the pool
    broken = await client.query('ROLLBACK').then(
      () => false,
      () => true,
    );
    throw err;
  } finally {
    client.release(broken);
  }
}
