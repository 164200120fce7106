// The worker thread that hosts one rule's function (plain JS: it runs in a fresh thread without tsx's loader).
// It imports the module once, so module-level state (a database pool) lives as long as the worker, then runs
// one handler call per `invoke` message. Calls run concurrently, like Lambda instances sharing one container.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Module } from 'node:module';

const { modulePath, handlerName, functionName, transaction } = workerData;

// A stray rejection or exception from the function's background work (a pg client's 'error' with no listener,
// a query fired without await) is the function's problem: log it and keep the worker, and its pools, alive.
process.on('unhandledRejection', (reason) => {
  console.error(`unhandled rejection in function ${functionName}:`, reason);
});
process.on('uncaughtException', (err) => {
  console.error(`uncaught exception in function ${functionName}:`, err);
});

/** The exported handler: a named export, `default.<name>` (CommonJS `exports.<name>` via default), or `default`. */
function pickHandler(mod) {
  if (typeof mod[handlerName] === 'function') return mod[handlerName];
  const fallback = mod.default;
  if (fallback && typeof fallback[handlerName] === 'function') return fallback[handlerName];
  if (handlerName === 'handler' && typeof fallback === 'function') return fallback;
  return undefined;
}

/**
 * Calls the handler Lambda-style: a returned promise is awaited; a returned value is the result; a handler that
 * takes a third `callback` parameter and returns nothing settles when it calls back.
 */
function invoke(handler, event, context) {
  return new Promise((resolve, reject) => {
    const callback = (err, result) => (err ? reject(err) : resolve(result));
    let returned;
    try {
      returned = handler(event, context, callback);
    } catch (err) {
      reject(err);
      return;
    }
    if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
    else if (returned !== undefined || handler.length < 3) resolve(returned);
  });
}

function serialiseError(err) {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err)) };
}

/**
 * Lambda code is often CommonJS in a `.js` file; inside a package marked `"type": "module"` Node loads it as ESM and
 * it fails on its first `require`/`exports`. Such a file is then compiled as the CommonJS it is.
 */
async function loadModule(path) {
  try {
    return await import(pathToFileURL(path).href);
  } catch (err) {
    if (!(err instanceof ReferenceError) || !/\b(require|exports|module) is not defined in ES module scope/.test(err.message)) throw err;
    const cjs = new Module(path);
    cjs.filename = path;
    cjs.paths = Module._nodeModulePaths(dirname(path));
    cjs._compile(readFileSync(path, 'utf8'), path);
    return { ...cjs.exports, default: cjs.exports };
  }
}

/**
 * With `transaction` (the rule's `transaction: true`): connections to the rules queue's database. Each call runs in
 * one transaction that first removes the delivered items from the queue, then runs the handler with `context.db`,
 * then commits: the handler's writes and the removal commit together or not at all (exactly once). PostgreSQL ends
 * a transaction left open by a hung handler (after twice the call's timeout), so its locks cannot hold the lane forever.
 */
let pool;
async function transactionPool() {
  if (!pool) {
    const { default: pg } = await import('pg');
    const limit = `-c idle_in_transaction_session_timeout=${transaction.openForMs} -c statement_timeout=${transaction.openForMs}`;
    pool = new pg.Pool({ connectionString: transaction.databaseUrl, max: 4, options: limit });
    pool.on('error', (err) => console.warn(`function ${functionName}: idle transaction connection failed:`, err.message));
  }
  return pool;
}

/**
 * Runs `call(db)` in a transaction that also removes the items `seqs` from the queue. Resolves false, without
 * calling, when they were removed already: an earlier attempt of the same batch committed (its reply was lost to a
 * timeout), so running it again would apply it twice. The removal comes first: its row locks make a retry of the
 * same batch wait for an earlier attempt still running, then see its outcome.
 */
async function inTransaction(seqs, call) {
  const client = await (await transactionPool()).connect();
  // a connection whose transaction did not end cleanly is closed rather than reused
  let clean = false;
  try {
    await client.query('BEGIN');
    const removed = await client.query(`DELETE FROM ${transaction.queueTable} WHERE seq = ANY($1::bigint[])`, [seqs]);
    if (removed.rowCount < seqs.length) {
      await client.query('ROLLBACK');
      clean = true;
      return false;
    }
    // only what a function needs: its statements run in the transaction, which Rowcast begins and ends
    const db = { query: (text, values) => client.query(text, values) };
    try {
      await call(db);
    } catch (err) {
      await client.query('ROLLBACK').then(
        () => (clean = true),
        () => {},
      );
      throw err;
    }
    await client.query('COMMIT');
    clean = true;
    return true;
  } finally {
    client.release(!clean);
  }
}

let handler;
try {
  const mod = await loadModule(modulePath);
  handler = pickHandler(mod);
  if (!handler) throw new Error(`${modulePath} exports no function named "${handlerName}"`);
  parentPort.postMessage({ type: 'ready' });
} catch (err) {
  parentPort.postMessage({ type: 'load-failed', error: serialiseError(err) });
}

parentPort.on('message', (message) => {
  if (message.type === 'ping') {
    parentPort.postMessage({ type: 'pong', id: message.id });
    return;
  }
  if (message.type !== 'invoke' || !handler) return;
  const deadline = Date.now() + message.timeoutMs;
  const context = {
    functionName,
    awsRequestId: message.deliveryId,
    deliveryId: message.deliveryId,
    attempt: message.attempt,
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  // Structured cloning turns a Buffer into a plain Uint8Array; functions expect a Buffer, as Lambda gives.
  const event =
    message.event instanceof Uint8Array ? Buffer.from(message.event.buffer, message.event.byteOffset, message.event.byteLength) : message.event;
  const run = transaction ? inTransaction(message.seqs, (db) => invoke(handler, event, { ...context, db })) : invoke(handler, event, context);
  run.then(
    () => parentPort.postMessage({ type: 'result', id: message.id, ok: true }),
    (err) => parentPort.postMessage({ type: 'result', id: message.id, ok: false, error: serialiseError(err) }),
  );
});
