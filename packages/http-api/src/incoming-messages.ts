import type { Message } from '@rowcast/protocol';
import { ErrorCode, ErrorInfo, requirePayloadDepth } from '@rowcast/protocol';

function invalid(message: string): ErrorInfo {
  return new ErrorInfo(message, ErrorCode.INVALID_REQUEST_BODY, 400);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/**
 * Turns one message of a REST body into what the engine accepts. Binary sent as base64 (JSON bodies) is decoded
 * to bytes and its `base64` encoding step dropped, so msgpack subscribers get binary and JSON ones base64 again;
 * object data sent raw (curl users) is stored as JSON text with `encoding: json`, as the SDK would send it.
 * Only client-settable fields are kept (`connectionKey` too: the publish is then made on behalf of that
 * connection, see publishAsCaller); `extras` or object data nested deeper than MAX_PAYLOAD_DEPTH are refused.
 */
export function toIncomingMessage(value: unknown): Message {
  if (!isPlainObject(value)) throw invalid('Each message must be an object');
  const { id, name, data, encoding, clientId, extras, connectionKey } = value;
  if (connectionKey !== undefined && connectionKey !== null && typeof connectionKey !== 'string') {
    throw invalid('Message connectionKey must be a string');
  }
  if (id !== undefined && id !== null && typeof id !== 'string') throw invalid('Message id must be a string');
  if (name !== undefined && name !== null && typeof name !== 'string') throw invalid('Message name must be a string');
  if (clientId !== undefined && clientId !== null && typeof clientId !== 'string') throw invalid('Message clientId must be a string');
  if (encoding !== undefined && encoding !== null && typeof encoding !== 'string') throw invalid('Message encoding must be a string');
  if (extras !== undefined && extras !== null && !isPlainObject(extras)) throw invalid('Message extras must be an object');
  // Before anything walks them (JSON.stringify overflows the stack thousands of levels down): 40000.
  requirePayloadDepth(extras, 'Message extras');
  requirePayloadDepth(data, 'Message data');
  const msg: Message = {};
  if (typeof id === 'string') msg.id = id;
  if (typeof name === 'string') msg.name = name;
  if (typeof clientId === 'string') msg.clientId = clientId;
  if (isPlainObject(extras)) msg.extras = extras;
  if (typeof connectionKey === 'string' && connectionKey !== '') msg.connectionKey = connectionKey;
  let enc = typeof encoding === 'string' && encoding !== '' ? encoding : undefined;
  if (typeof data === 'string' && enc !== undefined && /(^|\/)base64$/.test(enc)) {
    msg.data = Buffer.from(data, 'base64');
    enc = enc.slice(0, -'base64'.length).replace(/\/$/, '') || undefined;
  } else if (data instanceof Uint8Array || typeof data === 'string') {
    msg.data = data;
  } else if (isPlainObject(data) || Array.isArray(data)) {
    msg.data = JSON.stringify(data);
    enc = enc ? `${enc}/json` : 'json';
  } else if (typeof data === 'number' || typeof data === 'boolean') {
    throw invalid('Message data must be a string, binary, an object or an array');
  }
  if (enc !== undefined) msg.encoding = enc;
  return msg;
}

/** A REST publish body: one message or an array of them. */
export function toIncomingMessages(body: unknown): Message[] {
  if (body === undefined) throw invalid('Request body is empty: expected a message or an array of messages');
  const list = Array.isArray(body) ? body : [body];
  if (list.length === 0) throw invalid('No messages to publish');
  return list.map(toIncomingMessage);
}
