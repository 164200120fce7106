import { ErrorCode, ErrorInfo } from '@rowcast/protocol';

/** A channel name as a client wrote it: the underlying channel plus any `[?param=value]` qualifier params. */
export interface ChannelName {
  /** The channel the name refers to, without qualifier. */
  base: string;
  /** Params from a `[?...]` qualifier (e.g. `[?rewind=2m]chat`). */
  params: Record<string, string>;
  /** A subscription filter's expression, from a `[filter=<base64>]` qualifier (`channels.getDerived`). */
  filter?: string;
}

/** Metachannels Rowcast publishes (Ably's names); a `[meta]` name not listed is invalid. */
export const META_CHANNELS = ['[meta]channel.lifecycle', '[meta]connection.lifecycle', '[meta]log'] as const;

/** Whether a channel is a metachannel: no client may publish or enter presence there, as on Ably. */
export function isMetaChannel(base: string): boolean {
  return base.startsWith('[meta]');
}

const MAX_NAME_LENGTH = 2048;

/**
 * Parses and validates a channel name. Accepts Ably's `[?rewind=2m]name` qualifier form, which the original
 * chat used, the `[filter=<base64 expression>?params]name` form of a derived channel, and the metachannels
 * (`[meta]channel.lifecycle`...). Throws ErrorInfo 40010 for names a client may not use: empty, too long,
 * starting with `:` or an unknown `[` qualifier, or holding control characters.
 */
export function parseChannelName(name: unknown): ChannelName {
  if (typeof name !== 'string' || name.length === 0) throw invalidName('Channel name must be a non-empty string');
  if (name.length > MAX_NAME_LENGTH) throw invalidName('Channel name is too long');
  // eslint-disable-next-line no-control-regex
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u001f\u007f]/.test(name)) throw invalidName('Channel name contains control characters');
  let base = name;
  const params: Record<string, string> = {};
  let filter: string | undefined;
  const derived = /^\[filter=([^?\]]*)(?:\?([^\]]*))?\](.+)$/.exec(name);
  if (derived) {
    filter = Buffer.from(derived[1]!, 'base64').toString('utf8');
    for (const [k, v] of new URLSearchParams(derived[2] ?? '')) params[k] = v;
    base = derived[3]!;
  } else if (name.startsWith('[?')) {
    const m = /^\[\?([^\]]*)\](.+)$/.exec(name);
    if (!m) throw invalidName(`Unsupported channel qualifier in "${name}"`);
    for (const [k, v] of new URLSearchParams(m[1])) params[k] = v;
    base = m[2]!;
  }
  if (isMetaChannel(base)) {
    if (!(META_CHANNELS as readonly string[]).includes(base)) throw invalidName(`Unknown metachannel "${base}"`);
  } else if (base.startsWith(':') || base.startsWith('[')) {
    throw invalidName(base === name ? `Invalid channel name "${name}"` : `Unsupported channel qualifier in "${name}"`);
  }
  return filter === undefined ? { base, params } : { base, params, filter };
}

/**
 * Refuses a client's publish to a derived (filtered) channel or a metachannel with 40160: both are for
 * subscribing only, as on Ably.
 */
export function refuseClientPublish(name: ChannelName): void {
  if (name.filter !== undefined) {
    throw new ErrorInfo('Publishing to a filtered (derived) channel is not permitted', ErrorCode.OPERATION_NOT_PERMITTED, 401);
  }
  if (isMetaChannel(name.base)) {
    throw new ErrorInfo(`Publishing to the metachannel "${name.base}" is not permitted`, ErrorCode.OPERATION_NOT_PERMITTED, 401);
  }
}

function invalidName(message: string): ErrorInfo {
  return new ErrorInfo(message, ErrorCode.INVALID_CHANNEL_NAME, 400);
}
