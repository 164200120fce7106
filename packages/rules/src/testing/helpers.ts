import { vi } from 'vitest';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import pg from 'pg';
import type { AcceptedEvent, AcceptedMessage } from '@rowcast/core';

/** A pino logger whose JSON lines are kept for assertions (retries must be visible in the log). */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

let serial = 0;

/** An accepted-publish event as the engine hands it to hooks: ids `<connection>:<serial>:<index>`. */
export function messageEvent(channel: string, messages: Array<Partial<AcceptedMessage>>, connectionId = 'conn1'): AcceptedEvent {
  const msgSerial = serial++;
  return {
    kind: 'message',
    channel,
    messages: messages.map((m, index) => ({
      id: `${connectionId}:${msgSerial}:${index}`,
      timestamp: Date.now(),
      serial: `${msgSerial}-${index}`,
      connectionId,
      clientId: 'tester',
      ...m,
    })),
  };
}

/** The table the test functions write to: one row per (rule, message id), `deliveries` counts redeliveries. */
export async function createRuleLog(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`CREATE TABLE IF NOT EXISTS rule_log (
    applied bigserial, rule_id text NOT NULL, delivery_id text NOT NULL, channel text, name text, envelope json,
    attempt_seen int, deliveries int NOT NULL DEFAULT 1, PRIMARY KEY (rule_id, delivery_id))`);
  await client.end();
}

/**
 * Creates `batch_calls`, which batch-recorder-function.mjs writes to, before any rule runs: two rules' workers
 * racing on CREATE TABLE IF NOT EXISTS can fail one of them with a pg_type unique violation.
 */
export async function createBatchCalls(sql: pg.Pool): Promise<void> {
  await sql.query(`CREATE TABLE batch_calls (
    rule_id text NOT NULL, call int NOT NULL, attempt int NOT NULL, ids text[] NOT NULL, PRIMARY KEY (rule_id, call))`);
}

/** Waits (vi.waitFor, every 50 ms) until `check` resolves with a value (not undefined), and returns it. */
export function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await check();
      if (value === undefined) throw new Error(`timed out waiting for ${what}`);
      return value;
    },
    { timeout: timeoutMs, interval: 50 },
  );
}
