import type { AcceptedMessage, AcceptedPresence } from '@rowcast/core';
import type { MessageData } from '@rowcast/protocol';
import type { RuleSource } from './config.js';

/**
 * Ably's integration payloads. A queued item is a message (or presence message) already encoded the way Ably puts
 * it in an envelope: object data as a JSON string with encoding "json", binary as base64 with encoding ending in
 * "base64". It is JSON-safe, so it is stored in the queue as is and the envelope is built at delivery.
 */

/** A message as it appears in an envelope's `messages` array. */
export interface EnvelopeMessage {
  id: string;
  clientId?: string;
  connectionId?: string;
  timestamp: number;
  name?: string;
  data?: string;
  encoding?: string;
  extras?: Record<string, unknown>;
}

/** A presence message as it appears in an envelope's `presence` array (`action` is Ably's number). */
export interface EnvelopePresence {
  id: string;
  clientId: string;
  connectionId: string;
  timestamp: number;
  action: number;
  data?: string;
  encoding?: string;
}

export type EnvelopeItem = EnvelopeMessage | EnvelopePresence;

/** What a rule adds around each item: where it came from. */
export interface EnvelopeMeta {
  source: RuleSource;
  appId: string;
  channel: string;
  site: string;
  ruleId: string;
}

export interface Envelope extends EnvelopeMeta {
  messages?: EnvelopeMessage[];
  presence?: EnvelopePresence[];
}

/** Encodes a payload as Ably's envelopes carry it (objects to JSON, bytes to base64), appending to `encoding`. */
export function encodeData(data: MessageData, encoding?: string | null): { data?: string; encoding?: string } {
  const chain = encoding ? [encoding] : [];
  if (data === null || data === undefined) return chain.length ? { encoding: chain.join('/') } : {};
  if (typeof data === 'string') return chain.length ? { data, encoding: chain.join('/') } : { data };
  if (data instanceof Uint8Array) {
    chain.push('base64');
    return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'), encoding: chain.join('/') };
  }
  chain.push('json');
  return { data: JSON.stringify(data), encoding: chain.join('/') };
}

/** A published message as its envelope entry. */
export function envelopeMessage(message: AcceptedMessage): EnvelopeMessage {
  const item: EnvelopeMessage = { id: message.id, timestamp: message.timestamp };
  if (message.clientId !== undefined) item.clientId = message.clientId;
  if (message.connectionId !== undefined) item.connectionId = message.connectionId;
  if (message.name !== undefined && message.name !== null) item.name = message.name;
  Object.assign(item, encodeData(message.data, message.encoding));
  if (message.extras !== undefined) item.extras = message.extras;
  return item;
}

/** A presence event as its envelope entry. */
export function envelopePresence(presence: AcceptedPresence): EnvelopePresence {
  const item: EnvelopePresence = {
    id: presence.id,
    clientId: presence.clientId,
    connectionId: presence.connectionId,
    timestamp: presence.timestamp,
    action: presence.action,
  };
  Object.assign(item, encodeData(presence.data, presence.encoding));
  return item;
}

/**
 * Ably's envelope: `{ source, appId, channel, site, ruleId, messages: [...] }` (or `presence`), holding one item or
 * a batch of items of the same channel in the order given.
 */
export function buildEnvelope(meta: EnvelopeMeta, items: EnvelopeItem | readonly EnvelopeItem[]): Envelope {
  const list = Array.isArray(items) ? [...items] : [items as EnvelopeItem];
  const envelope: Envelope = {
    source: meta.source,
    appId: meta.appId,
    channel: meta.channel,
    site: meta.site,
    ruleId: meta.ruleId,
  };
  if (meta.source === 'channel.presence') envelope.presence = list as EnvelopePresence[];
  else envelope.messages = list as EnvelopeMessage[];
  return envelope;
}

const PRESENCE_ACTIONS = ['absent', 'present', 'enter', 'leave', 'update'];

/** Splits an encoding chain; the last step is the outermost (applied last, undone first). */
function steps(encoding: string | undefined): string[] {
  return encoding ? encoding.split('/').filter(Boolean) : [];
}

/**
 * The bare payload for a function with `enveloped: false`: base64 becomes a Buffer, JSON is parsed, utf-8 bytes
 * become a string; anything else (e.g. a cipher step) is left applied.
 */
export function decodeData(item: EnvelopeItem): unknown {
  const chain = steps(item.encoding);
  let value: unknown = item.data;
  while (chain.length) {
    const step = chain[chain.length - 1];
    if (step === 'base64' && typeof value === 'string') value = Buffer.from(value, 'base64');
    else if (step === 'utf-8' && Buffer.isBuffer(value)) value = value.toString('utf8');
    else if (step === 'json' && typeof value === 'string') value = JSON.parse(value);
    else break;
    chain.pop();
  }
  return value;
}

/** An HTTP request body with the headers Ably sends for non-enveloped events. */
export interface UnenvelopedRequest {
  body: Buffer;
  headers: Record<string, string>;
}

/**
 * A non-enveloped webhook request: the body is the item's data (binary as raw bytes), and the envelope moves into
 * `x-ably-envelope-*` / `x-ably-message-*` headers, as Ably's webhooks do.
 */
export function unenvelopedRequest(meta: EnvelopeMeta, item: EnvelopeItem): UnenvelopedRequest {
  const chain = steps(item.encoding);
  let body: Buffer;
  let contentType: string;
  if (chain[chain.length - 1] === 'base64') {
    chain.pop();
    body = Buffer.from(item.data ?? '', 'base64');
    contentType = 'application/octet-stream';
  } else {
    body = Buffer.from(item.data ?? '', 'utf8');
    contentType = chain[chain.length - 1] === 'json' ? 'application/json' : 'text/plain';
  }
  const headers: Record<string, string> = {
    'content-type': contentType,
    'x-ably-version': '1.2',
    'x-ably-envelope-appid': meta.appId,
    'x-ably-envelope-channel': headerValue(meta.channel),
    'x-ably-envelope-rule-id': meta.ruleId,
    'x-ably-envelope-site': meta.site,
    'x-ably-envelope-source': meta.source,
    'x-ably-message-id': headerValue(item.id),
    'x-ably-message-timestamp': String(item.timestamp),
  };
  if (chain.length) headers['x-ably-message-encoding'] = chain.join('/');
  if (item.connectionId !== undefined) headers['x-ably-message-connection-id'] = item.connectionId;
  if ('action' in item) {
    const action = PRESENCE_ACTIONS[item.action] ?? String(item.action);
    // Ably's docs name both: the table says x-ably-message-name, the example x-ably-message-action.
    headers['x-ably-message-name'] = action;
    headers['x-ably-message-action'] = action;
  } else if (item.name !== undefined) {
    headers['x-ably-message-name'] = headerValue(item.name);
  }
  if (item.clientId !== undefined) headers['x-ably-message-client-id'] = headerValue(item.clientId);
  return { body, headers };
}

/**
 * HTTP header values must be printable ASCII (fetch refuses anything else, and a newline would split headers):
 * names and channels outside it are percent-encoded.
 */
function headerValue(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}
