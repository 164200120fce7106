/** A `chat_data` row as the change stream publishes it and `/api/messages` returns it. */
export interface ChatRow {
  username: string;
  msg_id: string;
  msg_data: string;
  client_id: string;
  incremental_record_id: number;
  created_at_timestamp: number;
  is_edited: boolean | null;
  /** The serial of the row's message on `incoming-chat` (the same for its whole life); unknown for old rows. */
  serial?: string | null;
  /** Reactions by emoji: who reacted (from the message's annotation summary). */
  reactions?: Reactions;
}

/** `reaction:distinct.v1` of a message's summary: per emoji, how many and which clientIds. */
export type Reactions = Record<string, { total: number; clientIds: string[] }>;

/** The annotation type of the chat's reactions: each person counts once per emoji, and may take it back. */
export const REACTION_TYPE = 'reaction:distinct.v1';

/** One row change from `incoming-chat`, with the serial of the row's message when it came as a mutable message. */
export interface RowChange {
  type: 'INSERT' | 'UPDATE' | 'DELETE';
  row: ChatRow;
  serial?: string;
}

/** What one message of `incoming-chat` means for the page. */
export type ChatEvent = { kind: 'row'; change: RowChange } | { kind: 'reactions'; serial: string; reactions: Reactions };

const ACTION_TYPES: Record<string, RowChange['type']> = {
  'message.create': 'INSERT',
  'message.update': 'UPDATE',
  'message.delete': 'DELETE',
};

/**
 * Reads a message of `incoming-chat`. The change stream publishes each chat_data row as one mutable message:
 * created, updated and deleted under one serial, the row as its data; a reaction arrives as a `message.summary` of
 * that serial. The original `{"table","type","row"}` form is still understood (a connector without
 * `mutableMessages`).
 */
export function parseChatEvent(message: {
  action?: string;
  serial?: string;
  data?: unknown;
  annotations?: { summary?: Record<string, unknown> };
}): ChatEvent | undefined {
  if (message.action === 'message.summary') {
    if (!message.serial) return undefined;
    return { kind: 'reactions', serial: message.serial, reactions: reactionsOf(message.annotations?.summary) };
  }
  const type = message.action ? ACTION_TYPES[message.action] : undefined;
  const data = message.data as ChatRow | undefined;
  if (type && message.serial && data && typeof data === 'object' && typeof data.msg_id === 'string') {
    return { kind: 'row', change: { type, serial: message.serial, row: normalised(data) } };
  }
  const change = parseRowChange(message.data);
  return change && { kind: 'row', change };
}

/** The reactions of an annotation summary (other annotation types are not the chat's). */
export function reactionsOf(summary: Record<string, unknown> | null | undefined): Reactions {
  const entry = summary?.[REACTION_TYPE] as Record<string, { total?: number; clientIds?: string[] }> | undefined;
  const out: Reactions = {};
  for (const [name, v] of Object.entries(entry ?? {})) {
    if (v && typeof v.total === 'number' && v.total > 0) out[name] = { total: v.total, clientIds: Array.isArray(v.clientIds) ? v.clientIds : [] };
  }
  return out;
}

function normalised(r: ChatRow): ChatRow {
  return { ...r, incremental_record_id: Number(r.incremental_record_id), created_at_timestamp: Number(r.created_at_timestamp) };
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
  return { type, row: normalised(row as ChatRow) };
}
