import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { RealtimeNodeApi } from '@rowcast/core';
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

/** The channel name the connector routes the table to: never published on, only the label of this stream. */
const STREAM = 'rowcast:chat-sql-changes';
const SQL_CHANGE = { description: 'changed in the database' };
const SQL_DELETE = { description: 'deleted in the database' };

export async function startChatSqlChanges(opts: {
  databaseUrl: string;
  node: RealtimeNodeApi;
  store: PostgresMessageStore;
  logger: Logger;
}): Promise<{ stop(): Promise<void> }> {
  const name = slotNameFor(opts.databaseUrl);
  const config = parseConnectorConfig({
    databaseUrl: opts.databaseUrl,
    connector: [{ tablename: MESSAGES, ablychannelname: STREAM, operation: 'UPDATE' }],
    slotName: name,
    publicationName: name,
    statsIntervalSeconds: 300,
  });
  const connector = new PostgresConnector(config, sqlChangePublisher(opts.node, opts.store, opts.logger), opts.logger);
  await connector.start();
  return connector;
}

/**
 * Slots are per PostgreSQL cluster and this one is per database: its name carries a hash of the database's
 * address, so two Rowcast deployments on two databases of one cluster do not take each other's.
 */
function slotNameFor(url: string): string {
  let database = url;
  try {
    database = new URL(url).pathname;
  } catch {
    // not a URL: the whole string names it
  }
  return `rowcast_chat_${createHash('sha256').update(database).digest('hex').slice(0, 16)}`;
}

function sqlChangePublisher(node: RealtimeNodeApi, store: PostgresMessageStore, logger: Logger): Publisher {
  const apply = async (data: string) => {
    const change = JSON.parse(data) as { row?: { channel?: string; serial?: string; sql_change?: string | null } };
    const row = change.row;
    if (!row?.sql_change || !row.channel || !row.serial) return; // Rowcast's own write
    // The row as it is now: a change already published (the stream re-sent it) has no mark any more.
    const pending = await store.pendingSqlChange(row.channel, row.serial);
    if (!pending) return;
    try {
      if (pending.change === 'delete') {
        await node.deleteMessage(row.channel, { serial: row.serial }, SQL_DELETE, {});
      } else {
        const { message } = pending;
        await node.updateMessage(row.channel, { serial: row.serial, name: message.name, ...withChatFields(message, pending.fields) }, SQL_CHANGE, {});
      }
    } catch (err) {
      // A refusal that retrying cannot change (the message is unknown to the engine) is logged, not retried.
      if ((err as { code?: number }).code !== 40400) throw err;
      logger.warn({ channel: row.channel, serial: row.serial }, 'a SQL change of a chat message the engine does not know: not published');
    }
  };
  return {
    maxMessageSize: Number.MAX_SAFE_INTEGER,
    maxBatchBytes: Number.MAX_SAFE_INTEGER,
    async publish(_channel: string, batch: OutgoingBatch) {
      for (const data of batch.data) await apply(data);
    },
    async close() {},
  };
}
