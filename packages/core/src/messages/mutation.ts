import { ErrorCode, ErrorInfo, MessageAction, type Message, type MessageOperation, type MessageVersion } from '@rowcast/protocol';
import { capabilityAllows } from '../auth/index.js';
import type { AcceptedMessage, MutationOrigin } from '../node-api.js';
import { normaliseMessage } from './normalise.js';

/** The three changes a message can have after its create (wire values of MessageAction). */
export type MutationAction = typeof MessageAction.UPDATE | typeof MessageAction.DELETE | typeof MessageAction.APPEND;

const VERBS: Record<MutationAction, string> = {
  [MessageAction.UPDATE]: 'update',
  [MessageAction.DELETE]: 'delete',
  [MessageAction.APPEND]: 'append to',
};

/** The serial a mutation or read names; 40003 (as the SDK's own check) when there is none. */
export function requireSerial(serial: unknown): string {
  if (typeof serial !== 'string' || serial.length === 0) {
    throw new ErrorInfo('This message lacks a serial', ErrorCode.INVALID_PARAMETER_VALUE, 400);
  }
  return serial;
}

/** 40400 for a serial the channel does not have (never had, or no longer keeps). */
export function messageNotFound(channel: string, serial: string): ErrorInfo {
  return new ErrorInfo(`Message with serial "${serial}" not found on channel "${channel}"`, ErrorCode.NOT_FOUND, 404);
}

/**
 * Whether the caller may make this change to `current` (Ably's capabilities): `message-update-any` /
 * `message-delete-any` for any message, or the `-own` form for a message whose clientId is the caller's
 * (append needs the update capability). A trusted caller (no capability) may change anything.
 */
export function requireMutationRights(origin: MutationOrigin, channel: string, action: MutationAction, current: AcceptedMessage): void {
  const cap = origin.capability;
  if (!cap) return;
  const op = action === MessageAction.DELETE ? 'message-delete' : 'message-update';
  if (capabilityAllows(cap, channel, `${op}-any`)) return;
  const verb = VERBS[action];
  if (!capabilityAllows(cap, channel, `${op}-own`)) {
    throw new ErrorInfo(
      `Unable to ${verb} message: requires the '${op}-own' or '${op}-any' capability on channel "${channel}"`,
      ErrorCode.OPERATION_NOT_PERMITTED,
      401,
    );
  }
  const caller = origin.clientId === '*' ? undefined : origin.clientId;
  if (caller === undefined) {
    throw new ErrorInfo(
      `Unable to ${verb} message: anonymous clients require the '${op}-any' capability (they cannot have own messages, so '${op}-own' does not apply)`,
      ErrorCode.UNIDENTIFIED_CLIENT_CANNOT_MODIFY_OWN,
      401,
    );
  }
  if (current.clientId !== caller) {
    throw new ErrorInfo(
      `Unable to ${verb} message: '${op}-own' only permits changing messages published by clientId "${caller}"; this one is by ${current.clientId === undefined ? 'an unidentified client' : `"${current.clientId}"`}`,
      ErrorCode.OPERATION_NOT_PERMITTED,
      401,
    );
  }
}

/**
 * The version a change makes: who (the operation's clientId, which an identified caller may only give as its
 * own, else the caller's), why (description, metadata), and when: now, but always after the version it replaces
 * (two changes in one millisecond still order). Its serial is given when the broker sequences it.
 */
export function newVersion(operation: MessageOperation | undefined, origin: MutationOrigin, current: AcceptedMessage, now: number): MessageVersion {
  const caller = origin.clientId === '*' ? undefined : origin.clientId;
  const asked = typeof operation?.clientId === 'string' ? operation.clientId : undefined;
  if (asked !== undefined && caller !== undefined && asked !== caller) {
    throw new ErrorInfo(`clientId "${asked}" is not permitted for this caller`, ErrorCode.CLIENT_ID_NOT_PERMITTED, 400);
  }
  const version: MessageVersion = { serial: '', timestamp: Math.max(now, (current.version?.timestamp ?? current.timestamp) + 1) };
  const by = asked ?? caller ?? origin.defaultClientId;
  if (by !== undefined) version.clientId = by;
  const description = operation?.description;
  if (description !== undefined && description !== null) {
    if (typeof description !== 'string') throw invalidOperation('description must be a string');
    version.description = description;
  }
  const metadata = operation?.metadata;
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object' || Array.isArray(metadata) || Object.values(metadata).some((v) => typeof v !== 'string')) {
      throw invalidOperation('metadata must be an object of string values');
    }
    version.metadata = metadata;
  }
  return version;
}

/**
 * What subscribers receive for a change and what the message becomes (the same for update and delete):
 * `name`, `data` (with its `encoding`) and `extras` given replace the current ones, the rest is kept, including
 * the original id, clientId, connectionId and timestamp. An append delivers only the appended data and makes
 * the message the concatenation (strings with strings, bytes with bytes; 40003 otherwise), shown afterwards as
 * an update.
 */
export function applyMutation(
  current: AcceptedMessage,
  action: MutationAction,
  change: Message,
  version: MessageVersion,
): { delivered: AcceptedMessage; stored: AcceptedMessage } {
  const fields = normaliseMessage({ name: change.name, data: change.data, encoding: change.encoding, extras: change.extras }, 'message');
  const { annotations: _summary, version: _previous, ...plain } = current;
  if (action === MessageAction.APPEND) {
    if (fields.data === undefined) throw new ErrorInfo('An append needs data to append', ErrorCode.INVALID_PARAMETER_VALUE, 400);
    const delivered: AcceptedMessage = { ...plain, action, version, data: fields.data };
    delete delivered.encoding;
    if (fields.encoding) delivered.encoding = fields.encoding;
    const stored: AcceptedMessage = { ...plain, action: MessageAction.UPDATE, version, data: concatenated(current, fields) };
    return { delivered, stored };
  }
  const next: AcceptedMessage = { ...plain, action, version };
  if (fields.name !== undefined) next.name = fields.name;
  if (fields.data !== undefined) {
    next.data = fields.data;
    delete next.encoding;
    if (fields.encoding) next.encoding = fields.encoding;
  }
  if (fields.extras !== undefined) next.extras = fields.extras;
  return { delivered: next, stored: next };
}

function concatenated(current: Message, appended: Message): Message['data'] {
  const a = current.data ?? '';
  const b = appended.data;
  if (!current.encoding && !appended.encoding) {
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (a instanceof Uint8Array && b instanceof Uint8Array) return new Uint8Array(Buffer.concat([a, b]));
  }
  throw new ErrorInfo('Only string data can be appended to string data, and binary to binary', ErrorCode.INVALID_PARAMETER_VALUE, 400);
}

function invalidOperation(why: string): ErrorInfo {
  return new ErrorInfo(`Invalid operation: ${why}`, ErrorCode.INVALID_PARAMETER_VALUE, 400);
}
