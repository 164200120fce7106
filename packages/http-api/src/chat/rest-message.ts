import type { AcceptedMessage } from '@rowcast/core';
import { MESSAGE_ACTION_NAMES, type MessageAnnotations } from '@rowcast/protocol';

/**
 * How a chat message lives on its room's channel (`<room>::$chat`), as @ably/chat 1.4 publishes and parses it:
 * name `chat.message`, data `{text, metadata}` (JSON), extras `{headers, userClaim}`.
 */
export const CHAT_MESSAGE_NAME = 'chat.message';

/** Annotation types of the Chat SDK's message reactions, by its reaction type (`unique`, `distinct`, `multiple`). */
export const REACTION_ANNOTATION_TYPES = {
  unique: 'reaction:unique.v1',
  distinct: 'reaction:distinct.v1',
  multiple: 'reaction:multiple.v1',
} as const;
export type ReactionType = keyof typeof REACTION_ANNOTATION_TYPES;

/** The reaction summary of a message as the Chat REST API shows it (Message['reactions'] in the SDK). */
export interface RestReactions {
  unique: Record<string, unknown>;
  distinct: Record<string, unknown>;
  multiple: Record<string, unknown>;
}

/** A message as the Chat REST API v4 answers it (the SDK's `RestMessage`). */
export interface RestMessage {
  serial: string;
  version: { serial: string; timestamp: number; clientId?: string; description?: string; metadata?: Record<string, string> };
  text: string;
  clientId: string;
  action: string;
  metadata: Record<string, unknown>;
  headers: Record<string, unknown>;
  userClaim?: string;
  timestamp: number;
  reactions: RestReactions;
}

/** What a chat message's body is made of: the parts the channel message keeps in `data` and `extras`. */
export interface ChatContent {
  text: string;
  metadata?: Record<string, unknown>;
  headers?: Record<string, unknown>;
  userClaim?: string;
}

/** The channel message that carries `content` (data as JSON text, as the SDK's own publish would send it). */
export function toChannelMessage(content: ChatContent): { name: string; data: string; encoding: string; extras: Record<string, unknown> } {
  const extras: Record<string, unknown> = { headers: content.headers ?? {} };
  if (content.userClaim !== undefined) extras.userClaim = content.userClaim;
  return { name: CHAT_MESSAGE_NAME, data: JSON.stringify({ text: content.text, metadata: content.metadata ?? {} }), encoding: 'json', extras };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** The message's data as an object: JSON text (encoding `json`) parsed, an object as is, anything else none. */
function dataObject(m: AcceptedMessage): Record<string, unknown> {
  if (isObject(m.data)) return m.data;
  if (typeof m.data !== 'string' || !m.encoding?.split('/').includes('json')) return {};
  try {
    const parsed: unknown = JSON.parse(m.data);
    return isObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** The summary of a message's reactions from its annotations summary (other annotation types left out). */
export function reactionsOf(annotations: MessageAnnotations | undefined): RestReactions {
  const summary = annotations?.summary ?? {};
  const part = (type: string) => (isObject(summary[type]) ? (summary[type] as Record<string, unknown>) : {});
  return {
    unique: part(REACTION_ANNOTATION_TYPES.unique),
    distinct: part(REACTION_ANNOTATION_TYPES.distinct),
    multiple: part(REACTION_ANNOTATION_TYPES.multiple),
  };
}

/** A channel message (latest version or one version) as the Chat REST API answers it. */
export function toRestMessage(m: AcceptedMessage): RestMessage {
  const data = dataObject(m);
  const extras = isObject(m.extras) ? m.extras : {};
  const version = m.version ?? {};
  const out: RestMessage = {
    serial: m.serial,
    version: {
      serial: version.serial ?? m.serial,
      timestamp: version.timestamp ?? m.timestamp,
      ...(version.clientId !== undefined && { clientId: version.clientId }),
      ...(version.description !== undefined && { description: version.description }),
      ...(version.metadata !== undefined && { metadata: version.metadata }),
    },
    text: typeof data.text === 'string' ? data.text : '',
    clientId: m.clientId ?? '',
    action: MESSAGE_ACTION_NAMES[m.action ?? 0] ?? 'message.create',
    metadata: isObject(data.metadata) ? data.metadata : {},
    headers: isObject(extras.headers) ? extras.headers : {},
    timestamp: m.timestamp,
    reactions: reactionsOf(m.annotations),
  };
  if (typeof extras.userClaim === 'string') out.userClaim = extras.userClaim;
  return out;
}
