-- The chat's table, as the original had it (shared/docs/original-system.md), with a working bigserial:
-- incremental_record_id orders messages and pages history ("the 50 before id N").
CREATE TABLE IF NOT EXISTS chat_data (
  username text,
  msg_id text PRIMARY KEY,
  msg_data text,
  client_id text,
  incremental_record_id bigserial NOT NULL,
  created_at_timestamp bigint,
  is_edited boolean
);

-- History reads "newest first before N": an index makes each page one short index scan.
CREATE UNIQUE INDEX IF NOT EXISTS chat_data_incremental_record_id_idx ON chat_data (incremental_record_id);
