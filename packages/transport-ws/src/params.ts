import type { ConnectParams } from '@rowcast/core';

/**
 * Reads the connect parameters the SDK puts on the WebSocket URL (ably-protocol.md §2). Unknown params are
 * ignored, as Ably does; `format` defaults to JSON, `echo` to true.
 */
export function parseConnectParams(url: URL): ConnectParams {
  const q = url.searchParams;
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
