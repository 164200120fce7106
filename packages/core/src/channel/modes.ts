import { ChannelMode, ErrorCode, ErrorInfo, Flag, MODE_FLAGS, type Capability, type ChannelModeName } from '@rowcast/protocol';
import { capabilityAllows } from '../auth/index.js';
import type { Operation } from '../auth/index.js';

/** The capability operation each channel mode needs (presence_subscribe rides on `subscribe`, as on Ably). */
const MODE_OPERATION: ReadonlyArray<[number, Operation]> = [
  [Flag.PRESENCE, 'presence'],
  [Flag.PUBLISH, 'publish'],
  [Flag.SUBSCRIBE, 'subscribe'],
  [Flag.PRESENCE_SUBSCRIBE, 'subscribe'],
  [Flag.ANNOTATION_PUBLISH, 'annotation-publish'],
  [Flag.ANNOTATION_SUBSCRIBE, 'annotation-subscribe'],
  [Flag.OBJECT_SUBSCRIBE, 'object-subscribe'],
  [Flag.OBJECT_PUBLISH, 'object-publish'],
];

/**
 * Modes an attach gets when it asks for none: what Ably grants by default. Annotation subscription and the
 * LiveObjects modes are only delivered to clients that ask for them.
 */
export const DEFAULT_MODES = Flag.PRESENCE | Flag.PUBLISH | Flag.SUBSCRIBE | Flag.PRESENCE_SUBSCRIBE | Flag.ANNOTATION_PUBLISH;

/** Every mode `capability` allows on `channel`. */
export function modesAllowed(capability: Capability, channel: string): number {
  let modes = 0;
  for (const [flag, op] of MODE_OPERATION) if (capabilityAllows(capability, channel, op)) modes |= flag;
  return modes;
}

/**
 * Parses the `modes` channel param (`"subscribe"`, `"presence,subscribe"`; case-insensitive) into mode flags.
 * Throws 40003 for a name that is not a channel mode, so a typo is not silently read as "no modes".
 */
export function parseModesParam(value: string): number {
  let modes = 0;
  for (const raw of value.split(',')) {
    const name = raw.trim().toLowerCase();
    if (name === '') continue;
    if (!Object.hasOwn(ChannelMode, name)) {
      throw new ErrorInfo(`Invalid channel mode "${raw.trim()}" in the modes param`, ErrorCode.INVALID_PARAMETER_VALUE, 400);
    }
    modes |= ChannelMode[name as ChannelModeName];
  }
  return modes;
}

/**
 * The modes an ATTACH asks for: the `modes` param wins over ATTACH flags, as on Ably; neither means the
 * defaults. What it is granted is this narrowed to the capability (`modesAllowed`), now and after a re-auth.
 */
export function requestedModes(modesParam: string | undefined, attachFlags: unknown): number {
  if (modesParam !== undefined) return parseModesParam(modesParam);
  if (typeof attachFlags === 'number' && (attachFlags & MODE_FLAGS) !== 0) return attachFlags & MODE_FLAGS;
  return DEFAULT_MODES;
}
