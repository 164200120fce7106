import { AnnotationAction, ErrorCode, ErrorInfo, requirePayloadDepth, type Annotation } from '@rowcast/protocol';
import { effectiveClientId, type Identity } from '../connection/identity.js';
import type { AcceptedAnnotation } from '../node-api.js';
import { normaliseData } from './normalise.js';

/** Summary methods that count clients, so need an identified one (Ably refuses them from anonymous clients). */
const NEEDS_CLIENT_ID = /:(flag|distinct|unique)\.v1$/;

/**
 * An inbound annotation checked and stamped (serial left for the broker): `messageSerial` and `type` are
 * required strings (40003), `action` 0 (create, the default) or 1 (delete), `name` a string, `count` a number;
 * data is normalised as a message's; clientId as for messages (40012), and required for the types that count
 * clients (40161).
 */
export function acceptAnnotation(
  raw: unknown,
  where: string,
  identity: Identity,
  defaults: { id: string; timestamp: number; connectionId?: string; defaultClientId?: string },
): AcceptedAnnotation {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(`${where} must be an object`);
  const a = raw as Annotation;
  if (typeof a.messageSerial !== 'string' || a.messageSerial.length === 0) throw invalid(`${where}.messageSerial must be a non-empty string`);
  if (typeof a.type !== 'string' || a.type.length === 0) throw invalid(`${where}.type must be a non-empty string`);
  const action = a.action ?? AnnotationAction.CREATE;
  if (action !== AnnotationAction.CREATE && action !== AnnotationAction.DELETE) throw invalid(`${where}.action must be 0 (create) or 1 (delete)`);
  if (a.name !== undefined && a.name !== null && typeof a.name !== 'string') throw invalid(`${where}.name must be a string`);
  if (a.count !== undefined && a.count !== null && (typeof a.count !== 'number' || !Number.isFinite(a.count)))
    throw invalid(`${where}.count must be a number`);
  if (a.id !== undefined && typeof a.id !== 'string') throw invalid(`${where}.id must be a string`);
  if (a.clientId !== undefined && typeof a.clientId !== 'string') throw invalid(`${where}.clientId must be a string`);
  if (a.extras !== undefined && a.extras !== null && (typeof a.extras !== 'object' || Array.isArray(a.extras)))
    throw invalid(`${where}.extras must be an object`);
  requirePayloadDepth(a.extras, `${where}.extras`);
  const clientId = effectiveClientId(identity, a.clientId) ?? (a.clientId === undefined ? defaults.defaultClientId : undefined);
  if (clientId === undefined && NEEDS_CLIENT_ID.test(a.type)) {
    throw new ErrorInfo(`Annotations of type "${a.type}" need an identified client (one with a clientId)`, ErrorCode.IDENTIFIED_CLIENT_REQUIRED, 400);
  }
  const out: AcceptedAnnotation = {
    id: a.id ?? defaults.id,
    action,
    serial: '',
    messageSerial: a.messageSerial,
    type: a.type,
    timestamp: defaults.timestamp,
  };
  if (typeof a.name === 'string') out.name = a.name;
  if (typeof a.count === 'number') out.count = a.count;
  if (clientId !== undefined) out.clientId = clientId;
  if (defaults.connectionId) out.connectionId = defaults.connectionId;
  const { data, encoding } = normaliseData(a.data, typeof a.encoding === 'string' ? a.encoding : undefined, where);
  if (data !== undefined && data !== null) out.data = data;
  if (encoding) out.encoding = encoding;
  if (a.extras) out.extras = a.extras;
  return out;
}

function invalid(message: string): ErrorInfo {
  return new ErrorInfo(message, ErrorCode.INVALID_PARAMETER_VALUE, 400);
}
