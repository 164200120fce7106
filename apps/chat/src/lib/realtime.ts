import type * as Ably from 'ably';

export const OUTGOING = 'outgoing-chat';
export const INCOMING = 'incoming-chat';

/** What the page shows about its link to the server. */
export type LinkState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

/** A member of the chat: one per clientId, however many tabs that browser has open. */
export interface Member {
  clientId: string;
  username: string;
}

/**
 * Client options for the server that served this page: same host and port, TLS when the page is https. The SDK's
 * default transports: WebSocket, falling back to Comet (`xhr_polling`, which Rowcast serves) behind a proxy that
 * blocks WebSockets.
 */
export function clientOptions(loc: Location = location): Ably.ClientOptions {
  const tls = loc.protocol === 'https:';
  const port = Number(loc.port || (tls ? 443 : 80));
  const host = loc.hostname;
  // The SDK takes an endpoint verbatim only when it looks like a host name (a dot, "localhost" or IPv6);
  // otherwise it would read it as a routing policy name, so a bare host uses restHost.
  const hostOption: Ably.ClientOptions = host === 'localhost' || host.includes('.') || host.includes(':') ? { endpoint: host } : { restHost: host };
  return {
    ...hostOption,
    port,
    tlsPort: port,
    tls,
    authUrl: new URL('/auth/token', loc.href).href,
    echoMessages: false,
    // Two-second disconnect retries instead of 15 s: a self-hosted server restarting should be back quickly.
    disconnectedRetryTimeout: 2000,
  };
}

/** Maps the SDK's connection states to the four the page shows. */
export function linkStateOf(state: Ably.ConnectionState, everConnected: boolean): LinkState {
  switch (state) {
    case 'connected':
      return 'connected';
    case 'initialized':
    case 'connecting':
      return everConnected ? 'reconnecting' : 'connecting';
    case 'disconnected':
      return 'reconnecting';
    default:
      return 'offline'; // suspended, closing, closed, failed
  }
}

/**
 * The presence set grouped by clientId: a user with two tabs (two connections) is one member; the name is the
 * one of their most recent presence message.
 */
export function membersOf(presence: Ably.PresenceMessage[]): Member[] {
  const latest = new Map<string, Ably.PresenceMessage>();
  for (const p of presence) {
    if (!p.clientId) continue;
    const seen = latest.get(p.clientId);
    if (!seen || (p.timestamp ?? 0) >= (seen.timestamp ?? 0)) latest.set(p.clientId, p);
  }
  return [...latest.values()]
    .map((p) => ({ clientId: p.clientId as string, username: usernameOf(p.data) ?? 'Someone' }))
    .sort((a, b) => a.username.localeCompare(b.username));
}

function usernameOf(data: unknown): string | undefined {
  let value = data;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const name = (value as { username?: unknown } | null)?.username;
  return typeof name === 'string' && name.trim() ? name.trim() : undefined;
}
