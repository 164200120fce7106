import { ErrorCode, ErrorInfo } from '@rowcast/protocol';

/** A channel name as a client wrote it: the underlying channel plus any `[?param=value]` qualifier params. */
export interface ChannelName {
  /** The channel the name refers to, without qualifier. */
  base: string;
  /** Params from a `[?...]` qualifier (e.g. `[?rewind=2m]chat`). */
  params: Record<string, string>;
}

const MAX_NAME_LENGTH = 2048;

/**
 * Parses and validates a channel name. Accepts Ably's `[?rewind=2m]name` qualifier form, which the original
 * chat used. Throws ErrorInfo 40010 for names a client may not use: empty, too long, starting with `:` or an
 * unknown `[` qualifier, or holding control characters.
 */
export function parseChannelName(name: unknown): ChannelName {
  if (typeof name !== 'string' || name.length === 0) throw invalidName('Channel name must be a non-empty string');
  if (name.length > MAX_NAME_LENGTH) throw invalidName('Channel name is too long');
  // eslint-disable-next-line no-control-regex
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u001f\u007f]/.test(name)) throw invalidName('Channel name contains control characters');
  let base = name;
  const params: Record<string, string> = {};
  if (name.startsWith('[')) {
    const m = /^\[\?([^\]]*)\](.+)$/.exec(name);
    if (!m) throw invalidName(`Unsupported channel qualifier in "${name}"`);
    for (const [k, v] of new URLSearchParams(m[1])) params[k] = v;
    base = m[2];
  }
  if (base.startsWith(':') || base.startsWith('[')) throw invalidName(`Invalid channel name "${name}"`);
  return { base, params };
}

function invalidName(message: string): ErrorInfo {
  return new ErrorInfo(message, ErrorCode.INVALID_CHANNEL_NAME, 400);
}
