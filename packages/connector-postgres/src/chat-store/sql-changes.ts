import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import type { RealtimeNodeApi } from '@rowcast/core';
import type { ChangeRoute } from '../change-route.js';
import { parseConnectorConfig } from '../config.js';
import { PostgresConnector } from '../connector.js';
import type { OutgoingBatch } from '../outgoing.js';
import type { Publisher } from '../publisher.js';
import type { PostgresMessageStore } from './postgres-message-store.js';
import { MESSAGES } from './schema.js';
import { withChatFields } from './stored-message.js';

/**
 * Publishes what SQL does to chat messages: the change stream follows UPDATEs of rowcast_chat_messages (a DELETE
 * arrives as one too, see schema.ts); a row marked `sql_change` becomes `message.update` (its text, metadata and
 * headers as SQL left them) or `message.delete` of its serial, which every subscriber receives and whose new
 * version clears the mark. Rowcast's own writes are not marked and pass by. The stream's slot makes this durable:
 * a change made while Rowcast is down is published when it is back.
 */

/** The route's label inside the change stream: never published on. */
const STREAM = 'rowcast:chat-sql-changes';
const SQL_CHANGE = { description: 'changed in the database' };
const SQL_DELETE = { description: 'deleted in the database' };

/**
 * Publishes the chat rooms' SQL changes, carried either by the change stream of the same database (`route`, on
 * its slot: one decode of the WAL per database) or, when there is none, by a stream of their own (`start`).
 */
export class ChatSqlChanges {
  /** Changes are applied one at a time: the sweep of a retired slot's changes and the stream never race. */
  private turn: Promise<void> = Promise.resolve();

  constructor(
    private readonly node: RealtimeNodeApi,
    private readonly store: PostgresMessageStore,
    private readonly logger: Logger,
  ) {}

  /** For the change stream that captures the chat rooms' database: their SQL changes on its slot. */
  route(): ChangeRoute {
    return { name: 'chat rooms (SQL changes)', tables: [{ tablename: MESSAGES, operation: 'UPDATE' }], channel: STREAM, publisher: this.publisher() };
  }

  /** A change stream of their own, on a slot named after the database: when no other stream captures it. */
  async start(databaseUrl: string): Promise<{ stop(): Promise<void> }> {
    const name = standaloneSlotName(databaseUrl);
    const config = parseConnectorConfig({
      databaseUrl,
      connector: [{ tablename: MESSAGES, ablychannelname: STREAM, operation: 'UPDATE' }],
      slotName: name,
      publicationName: name,
      statsIntervalSeconds: 300,
    });
    const connector = new PostgresConnector(config, this.publisher(), this.logger);
    await connector.start();
    return connector;
  }

  /**
   * Once the change stream of the database carries the route: drops the slot of their own that an earlier start
   * created (an unread slot keeps the database's WAL for ever) and publishes what it still held, which the rows'
   * marks say. A slot in use (a node of the cluster still streaming from it) is left for that node.
   */
  async retireStandaloneSlot(databaseUrl: string): Promise<void> {
    const name = standaloneSlotName(databaseUrl);
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const dropped = await client.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active`, [
        name,
      ]);
      if (!dropped.rowCount) return;
      await client.query(`DROP PUBLICATION IF EXISTS ${name}`);
    } catch (err) {
      // Another node of the cluster dropped it first (and publishes what it held), or took it up meanwhile.
      const code = (err as { code?: string }).code;
      if (code === '42704' || code === '55006') return;
      throw err;
    } finally {
      await client.end().catch(() => undefined);
    }
    const pending = await this.store.sqlChangedMessages();
    this.logger.info({ slot: name, pending: pending.length }, 'chat rooms: SQL changes now ride the change stream; dropped their own slot');
    for (const row of pending) {
      // at start-up: a change that cannot be published now is logged (its row stays marked), not a failed start
      await this.apply(row.channel, row.serial).catch((err: unknown) =>
        this.logger.warn({ channel: row.channel, serial: row.serial, err: String(err) }, 'a SQL change the dropped slot held was not published'),
      );
    }
  }

  private publisher(): Publisher {
    return {
      maxMessageSize: Number.MAX_SAFE_INTEGER,
      maxBatchBytes: Number.MAX_SAFE_INTEGER,
      publish: async (_channel: string, batch: OutgoingBatch) => {
        for (const data of batch.data) {
          const row = (JSON.parse(data) as { row?: { channel?: string; serial?: string; sql_change?: string | null } }).row;
          if (!row?.sql_change || !row.channel || !row.serial) continue; // Rowcast's own write
          await this.apply(row.channel, row.serial);
        }
      },
      async close() {},
    };
  }

  /** Publishes the row's pending SQL change, if it still has one. */
  private apply(channel: string, serial: string): Promise<void> {
    const run = this.turn.then(() => this.publishPending(channel, serial));
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async publishPending(channel: string, serial: string): Promise<void> {
    // The row as it is now: a change already published (the stream re-sent it) has no mark any more.
    const pending = await this.store.pendingSqlChange(channel, serial);
    if (!pending) return;
    try {
      if (pending.change === 'delete') {
        await this.node.deleteMessage(channel, { serial }, SQL_DELETE, {});
      } else {
        const { message } = pending;
        await this.node.updateMessage(channel, { serial, name: message.name, ...withChatFields(message, pending.fields) }, SQL_CHANGE, {});
      }
    } catch (err) {
      // A refusal that retrying cannot change (the message is unknown to the engine) is logged, not retried.
      if ((err as { code?: number }).code !== 40400) throw err;
      this.logger.warn({ channel, serial }, 'a SQL change of a chat message the engine does not know: not published');
    }
  }
}

/**
 * Slots are per PostgreSQL cluster and this one is per database: its name carries a hash of the database's
 * address, so two Rowcast deployments on two databases of one cluster do not take each other's.
 */
function standaloneSlotName(url: string): string {
  let database = url;
  try {
    database = new URL(url).pathname;
  } catch {
    // not a URL: the whole string names it
  }
  return `rowcast_chat_${createHash('sha256').update(database).digest('hex').slice(0, 16)}`;
}
