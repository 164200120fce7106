import type pg from 'pg';
import { createUnderLock } from '../schema-lock.js';

/**
 * The schema of chat rooms in PostgreSQL (channels `<room>::$chat`, as @ably/chat uses them), created if missing
 * when the store connects, like Rowcast's other tables (rules queue, stats): one advisory lock serialises the
 * nodes of a cluster starting together. Documented in docs/chat-rooms-in-postgresql.md.
 *
 * - rowcast_chat_messages: one row per message, as it is now (its latest version), with the chat fields as columns
 *   (text, metadata, headers) so it can be queried; `message` is the whole message as served.
 * - rowcast_chat_message_versions: every version of every message (the create, each update and delete).
 * - rowcast_chat_annotations: message reactions and other annotations, creates and deletes both kept.
 *
 * Serials are compared as strings in the "C" collation: their order is the channel's order (a locale's collation
 * would ignore their punctuation).
 *
 * Rows changed by SQL (not by Rowcast) are published: a trigger marks such a row `sql_change` ('update', or
 * 'delete' for a DELETE, which keeps the row as the deleted message: Ably keeps a deleted message's serial and
 * shows it as `message.delete`); the change stream (sql-changes.ts) publishes it and Rowcast's write of the new
 * version clears the mark. Rowcast's own sessions set `rowcast.chat_store = on`, which the trigger lets through.
 * `SET rowcast.erase = on` before a DELETE removes rows for good, unpublished.
 */

export const MESSAGES = 'rowcast_chat_messages';
export const VERSIONS = 'rowcast_chat_message_versions';
export const ANNOTATIONS = 'rowcast_chat_annotations';

/** Any constant: serialises the CREATE ... IF NOT EXISTS of several nodes starting at once. */
const SCHEMA_LOCK = 0x72636874; // "rcht"

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ${MESSAGES} (
  channel             text COLLATE "C" NOT NULL,
  room                text NOT NULL,
  serial              text COLLATE "C" NOT NULL,
  action              text NOT NULL,
  name                text,
  client_id           text,
  text                text,
  metadata            jsonb,
  headers             jsonb,
  created_at          timestamptz NOT NULL,
  version_serial      text COLLATE "C" NOT NULL,
  updated_at          timestamptz NOT NULL,
  version_client_id   text,
  version_description text,
  version_metadata    jsonb,
  message             json NOT NULL,
  summary             json,
  summary_as_of       text COLLATE "C",
  sql_change          text CHECK (sql_change IN ('update', 'delete')),
  PRIMARY KEY (channel, serial)
);
CREATE INDEX IF NOT EXISTS ${MESSAGES}_room ON ${MESSAGES} (room, created_at);
CREATE TABLE IF NOT EXISTS ${VERSIONS} (
  channel         text COLLATE "C" NOT NULL,
  serial          text COLLATE "C" NOT NULL,
  version_serial  text COLLATE "C" NOT NULL,
  action          text NOT NULL,
  client_id       text,
  text            text,
  created_at      timestamptz NOT NULL,
  message         json NOT NULL,
  PRIMARY KEY (channel, serial, version_serial)
);
CREATE TABLE IF NOT EXISTS ${ANNOTATIONS} (
  channel         text COLLATE "C" NOT NULL,
  message_serial  text COLLATE "C" NOT NULL,
  serial          text COLLATE "C" NOT NULL,
  action          text NOT NULL,
  type            text NOT NULL,
  name            text,
  client_id       text,
  count           integer,
  created_at      timestamptz NOT NULL,
  annotation      json NOT NULL,
  PRIMARY KEY (channel, message_serial, serial)
);

CREATE OR REPLACE FUNCTION rowcast_chat_sql_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF current_setting('rowcast.chat_store', true) = 'on' THEN
    RETURN COALESCE(NEW, OLD);
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF current_setting('rowcast.erase', true) = 'on' THEN
      RETURN OLD;
    END IF;
    UPDATE ${MESSAGES} SET sql_change = 'delete' WHERE channel = OLD.channel AND serial = OLD.serial;
    RETURN NULL;
  END IF;
  NEW.sql_change := COALESCE(NEW.sql_change, 'update');
  RETURN NEW;
END
$fn$;
DROP TRIGGER IF EXISTS rowcast_chat_sql_change ON ${MESSAGES};
CREATE TRIGGER rowcast_chat_sql_change BEFORE UPDATE OR DELETE ON ${MESSAGES}
  FOR EACH ROW EXECUTE FUNCTION rowcast_chat_sql_change();

COMMENT ON TABLE ${MESSAGES} IS 'Rowcast chat rooms: each message as it is now (latest version); UPDATE/DELETE by SQL is published';
COMMENT ON TABLE ${VERSIONS} IS 'Rowcast chat rooms: every version of every message';
COMMENT ON TABLE ${ANNOTATIONS} IS 'Rowcast chat rooms: message reactions and other annotations';
`;

/** Creates the tables, indexes and trigger if missing. */
export async function ensureChatSchema(client: pg.ClientBase): Promise<void> {
  await createUnderLock(client, SCHEMA_LOCK, SCHEMA);
}
