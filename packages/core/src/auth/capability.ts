import { ErrorCode, ErrorInfo, type Capability } from '@rowcast/protocol';
import type { Operation } from './api.js';

/** Every operation name a capability may list (Ably's), besides the `*` wildcard. */
export const OPERATIONS: readonly Operation[] = [
  'publish',
  'subscribe',
  'presence',
  'history',
  'stats',
  'channel-metadata',
  'push-subscribe',
  'push-admin',
  'object-subscribe',
  'object-publish',
  'annotation-subscribe',
  'annotation-publish',
  'message-update-own',
  'message-update-any',
  'message-delete-own',
  'message-delete-any',
];
const KNOWN_OPERATIONS = new Set<string>([...OPERATIONS, '*']);

function invalid(message: string): ErrorInfo {
  return new ErrorInfo(`Invalid capability: ${message}`, ErrorCode.INVALID_PARAMETER_VALUE, 400);
}

/**
 * Parses and validates a capability given as JSON text (TokenRequest, JWT claim) or as an object (config).
 * Throws ErrorInfo 40003 naming what is wrong: not an object, an empty resource, an empty or non-string
 * operation list, an unknown operation, `*` listed with other operations.
 */
export function parseCapability(input: string | unknown): Capability {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw invalid('not valid JSON');
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid('must be an object of resource -> operations');
  }
  const result: Capability = {};
  for (const [resource, ops] of Object.entries(value as Record<string, unknown>)) {
    if (resource.length === 0) throw invalid('empty resource name');
    if (!Array.isArray(ops) || ops.length === 0) throw invalid(`resource "${resource}" needs a non-empty list of operations`);
    for (const op of ops) {
      if (typeof op !== 'string' || !KNOWN_OPERATIONS.has(op)) {
        throw invalid(`unknown operation ${JSON.stringify(op)} for resource "${resource}"`);
      }
    }
    // Ably refuses a wildcard mixed with named operations rather than guess which was meant.
    if (ops.length > 1 && ops.includes('*')) throw invalid(`resource "${resource}" mixes "*" with named operations`);
    result[resource] = [...new Set(ops as string[])];
  }
  return result;
}

/**
 * The canonical JSON text of a capability, exactly as the SDK's `c14n` makes it (resources sorted, each
 * operation list sorted): the text a TokenRequest MAC covers and the form TokenDetails carry.
 */
export function canonicalCapability(capability: Capability): string {
  const out: Capability = {};
  for (const resource of Object.keys(capability).sort()) out[resource] = [...capability[resource]].sort();
  return JSON.stringify(out);
}

/**
 * The JSON text of a token's capability, as Ably issues it: resources sorted, each operation list in the order
 * the key (or request) gave it. Not for MACs, which cover `canonicalCapability`.
 */
export function capabilityText(capability: Capability): string {
  const out: Capability = {};
  for (const resource of Object.keys(capability).sort()) out[resource] = [...capability[resource]];
  return JSON.stringify(out);
}

/** Channel name without a leading `[?params]` qualifier (`[?rewind=2m]room1` -> `room1`): params don't change rights. */
function baseChannelName(channel: string): string {
  if (!channel.startsWith('[?')) return channel;
  const end = channel.indexOf(']');
  return end === -1 ? channel : channel.slice(end + 1);
}

/** A leading `[qualifier]` (`[meta]log` -> `meta`, `log`); none for a plain name. */
function splitQualifier(text: string): [string | undefined, string] {
  const m = /^\[([^\]?]*)\](.*)$/.exec(text);
  return m ? [m[1], m[2]!] : [undefined, text];
}

/**
 * Whether a resource pattern (`*`, `prefix*`, `ns:*`, or an exact name) matches a name or a narrower pattern.
 * Qualified names (metachannels, `[meta]log`) are only matched by patterns of the same qualifier (`[meta]*`) or
 * by `[*]...`, as on Ably: `*` alone does not reach them.
 */
function patternCovers(pattern: string, name: string): boolean {
  const [patternQualifier, patternRest] = splitQualifier(pattern);
  const [nameQualifier, nameRest] = splitQualifier(name);
  if (patternQualifier !== '*' && patternQualifier !== nameQualifier) return false;
  if (patternRest.endsWith('*')) return nameRest.startsWith(patternRest.slice(0, -1));
  return patternRest === nameRest;
}

/** Whether `capability` allows `operation` on `channel` (`*` and `prefix*` resources, `*` operation). */
export function capabilityAllows(capability: Capability, channel: string, operation: Operation): boolean {
  const name = baseChannelName(channel);
  for (const [resource, ops] of Object.entries(capability)) {
    if (patternCovers(resource, name) && (ops.includes('*') || ops.includes(operation))) return true;
  }
  return false;
}

/**
 * Operations both lists grant, as Ably orders them: a wildcard request gets the key's operations in the key's
 * order; named operations keep the order they were asked in.
 */
function intersectOps(wanted: string[], held: string[]): string[] {
  if (wanted.includes('*')) return [...held];
  if (held.includes('*')) return [...wanted];
  return wanted.filter((op) => held.includes(op));
}

function addOps(target: Capability, resource: string, ops: string[]): void {
  if (ops.length === 0) return;
  target[resource] = [...new Set([...(target[resource] ?? []), ...ops])];
}

/**
 * The capability a token gets: the intersection of what was requested and what the issuing key (or caller)
 * holds, resource by resource, wildcards included (`{"*":["*"]}` ∩ `{"room*":["subscribe"]}` =
 * `{"room*":["subscribe"]}`). An empty intersection is refused with 40160, as Ably does.
 */
export function intersectCapabilities(requested: Capability, held: Capability): Capability {
  const result: Capability = {};
  for (const [want, wantOps] of Object.entries(requested)) {
    for (const [have, haveOps] of Object.entries(held)) {
      if (patternCovers(have, want)) addOps(result, want, intersectOps(wantOps, haveOps));
      else if (patternCovers(want, have)) addOps(result, have, intersectOps(wantOps, haveOps));
    }
    // Several held patterns may grant parts of one request: named operations still come in the request's order.
    const granted = result[want];
    if (granted && !wantOps.includes('*')) granted.sort((a, b) => wantOps.indexOf(a) - wantOps.indexOf(b));
  }
  if (Object.keys(result).length === 0) {
    throw new ErrorInfo('Requested capability is not permitted by the key', ErrorCode.OPERATION_NOT_PERMITTED, 401);
  }
  return result;
}
