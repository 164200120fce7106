/**
 * Channel params Rowcast implements. ATTACHED echoes only these: the SDK exposes the echo as `channel.params`,
 * and claiming a param (say `delta=vcdiff`) the server does not honour would tell the app it is in effect.
 */
export const SUPPORTED_CHANNEL_PARAMS: ReadonlySet<string> = new Set(['rewind', 'modes', 'occupancy']);

/**
 * The params of an ATTACH as strings. The SDK sends channel options' params as given, so `{ rewind: 1 }` arrives
 * as a number; numbers and booleans mean the same as their text. Other values are dropped.
 */
export function stringParams(params: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!params || typeof params !== 'object') return out;
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string') out[k] = v;
    else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}

/** The subset of `params` ATTACHED may echo (see SUPPORTED_CHANNEL_PARAMS); undefined when none. */
export function echoedParams(params: Record<string, string>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (SUPPORTED_CHANNEL_PARAMS.has(k)) out[k] = v;
  return Object.keys(out).length ? out : undefined;
}
