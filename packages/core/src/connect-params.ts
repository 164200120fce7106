import type { ConnectParams } from './transport.js';

/**
 * Reads the connect parameters the SDK puts on a transport's URL (ably-protocol.md §2): the WebSocket URL and
 * Comet's `/comet/connect` carry the same ones. Unknown params are ignored, as Ably does; `format` defaults to
 * JSON, `echo` to true.
 */
export function connectParamsFromQuery(q: URLSearchParams): ConnectParams {
  const opt = (name: string) => q.get(name) ?? undefined;
  return {
    key: opt('key'),
    accessToken: opt('access_token') ?? opt('accessToken'),
    clientId: opt('clientId') ?? opt('client_id'),
    echo: q.get('echo') !== 'false',
    format: q.get('format') === 'msgpack' ? 'msgpack' : 'json',
    heartbeats: q.get('heartbeats') === 'true',
    resume: opt('resume'),
    recover: opt('recover'),
    version: opt('v'),
    agent: opt('agent'),
  };
}
