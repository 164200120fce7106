/** A `chat_data` row as the change stream publishes it and `/api/messages` returns it. */
export interface ChatRow {
  username: string;
  msg_id: string;
  msg_data: string;
  client_id: string;
  incremental_record_id: number;
  created_at_timestamp: number;
  is_edited: boolean | null;
}

/** One row change from `incoming-chat`: `{"table","type","row"}` as the original connector published it. */
export interface RowChange {
  type: 'INSERT' | 'UPDATE' | 'DELETE';
  row: ChatRow;
}

/**
 * Parses a message of `incoming-chat`. The data is JSON text (an object is accepted too); anything that is not a
 * chat_data change with a msg_id is ignored (returns undefined) rather than breaking the page.
 */
export function parseRowChange(data: unknown): RowChange | undefined {
  let value: unknown = data;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (!value || typeof value !== 'object') return undefined;
  const { table, type, row } = value as { table?: unknown; type?: unknown; row?: unknown };
  if (table !== undefined && table !== 'chat_data' && table !== 'public.chat_data') return undefined;
  if (type !== 'INSERT' && type !== 'UPDATE' && type !== 'DELETE') return undefined;
  if (!row || typeof row !== 'object' || typeof (row as ChatRow).msg_id !== 'string') return undefined;
  const r = row as ChatRow;
  return {
    type,
    row: { ...r, incremental_record_id: Number(r.incremental_record_id), created_at_timestamp: Number(r.created_at_timestamp) },
  };
}
