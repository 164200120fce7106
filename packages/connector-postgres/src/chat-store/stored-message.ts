import type { AcceptedAnnotation, AcceptedMessage } from '@rowcast/core';
import { MESSAGE_ACTION_NAMES, type Message } from '@rowcast/protocol';

/**
 * Messages and annotations as rows: the whole object as JSON (binary data as base64, marked so it comes back as
 * bytes), plus the chat fields as columns for people querying the tables.
 */

/** Marks base64 text that was binary data in the stored JSON. */
const BINARY = 'rowcastBinary';

/** The JSON text of a message or annotation, binary data as base64. */
export function storedJson(value: AcceptedMessage | AcceptedAnnotation): string {
  const data = value.data;
  if (data instanceof Uint8Array) return JSON.stringify({ ...value, data: Buffer.from(data).toString('base64'), [BINARY]: true });
  return JSON.stringify(value);
}

/** Back from the stored JSON (pg parses `json` columns). */
export function fromStored<T extends { data?: unknown }>(stored: T & { [BINARY]?: boolean }): T {
  if (!stored[BINARY]) return stored;
  const { [BINARY]: _, ...rest } = stored;
  return { ...rest, data: new Uint8Array(Buffer.from(String(stored.data), 'base64')) } as unknown as T;
}

/** The SDK's name of a message action (`message.create`, ...). */
export function actionName(action: number | undefined): string {
  return MESSAGE_ACTION_NAMES[action ?? 0] ?? `action.${action}`;
}

/** The chat fields of a message: `text` and `metadata` of its data, `headers` of its extras. */
export interface ChatFields {
  text: string | null;
  metadata: unknown;
  headers: unknown;
}

export function chatFields(message: Message): ChatFields {
  const data = jsonData(message);
  const text = data && typeof data.text === 'string' ? data.text : typeof message.data === 'string' && !message.encoding ? message.data : null;
  const headers = (message.extras as { headers?: unknown } | undefined)?.headers;
  return {
    // PostgreSQL text cannot hold NUL; such a text stays in `message` only
    text: text?.includes('\u0000') ? null : (text ?? null),
    metadata: data?.metadata ?? null,
    headers: headers ?? null,
  };
}

/**
 * A message's data with the chat columns of its row applied (text, metadata, headers as SQL left them): what a
 * SQL edit of the row publishes as the update.
 */
export function withChatFields(message: Message, fields: ChatFields): Pick<Message, 'data' | 'encoding' | 'extras'> {
  const data = jsonData(message);
  const extras = fields.headers === null ? message.extras : { ...message.extras, headers: fields.headers };
  if (data) {
    const edited = { ...data, ...(fields.text !== null && { text: fields.text }), ...(fields.metadata !== null && { metadata: fields.metadata }) };
    return { data: JSON.stringify(edited), encoding: 'json', extras };
  }
  if (typeof message.data === 'string' && !message.encoding && fields.text !== null) return { data: fields.text, encoding: undefined, extras };
  return { data: message.data, encoding: message.encoding, extras };
}

/** The data as an object when it is a JSON object (an object, or JSON text with `encoding: json`). */
function jsonData(message: Message): Record<string, unknown> | undefined {
  let data: unknown = message.data;
  if (typeof data === 'string' && message.encoding === 'json') {
    try {
      data = JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  return data && typeof data === 'object' && !Array.isArray(data) && !(data instanceof Uint8Array) ? (data as Record<string, unknown>) : undefined;
}

/** `room` of a channel `room::$chat`. */
export function roomOf(channel: string): string {
  return channel.endsWith(CHAT_SUFFIX) ? channel.slice(0, -CHAT_SUFFIX.length) : channel;
}

export const CHAT_SUFFIX = '::$chat';
