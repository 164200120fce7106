import { describe, expect, it } from 'vitest';
import type * as Ably from 'ably';
import { clientOptions, linkStateOf, membersOf } from './realtime.js';

function member(clientId: string, connectionId: string, username: string, timestamp: number): Ably.PresenceMessage {
  return { clientId, connectionId, data: { username }, timestamp, action: 'present', id: `${connectionId}:0:0` } as Ably.PresenceMessage;
}

describe('membersOf', () => {
  it('counts a clientId once however many connections it has, with its latest name', () => {
    const members = membersOf([
      member('c-alice', 'conn1', 'Alice', 1),
      member('c-bob', 'conn2', 'Bob', 2),
      member('c-alice', 'conn3', 'Alice L.', 3),
    ]);
    expect(members).toEqual([
      { clientId: 'c-alice', username: 'Alice L.' },
      { clientId: 'c-bob', username: 'Bob' },
    ]);
  });

  it('reads JSON-text data and names a member without a usable name', () => {
    const p = { ...member('c-x', 'conn', 'x', 1), data: JSON.stringify({ username: '  Xena ' }) } as Ably.PresenceMessage;
    const q = { ...member('c-y', 'conn', 'y', 1), data: 42 } as Ably.PresenceMessage;
    expect(membersOf([p, q])).toEqual([
      { clientId: 'c-y', username: 'Someone' },
      { clientId: 'c-x', username: 'Xena' },
    ]);
  });
});

describe('linkStateOf', () => {
  it('tells connecting from reconnecting, and calls the SDK’s give-up states offline', () => {
    expect(linkStateOf('connecting', false)).toBe('connecting');
    expect(linkStateOf('connecting', true)).toBe('reconnecting');
    expect(linkStateOf('disconnected', true)).toBe('reconnecting');
    expect(linkStateOf('connected', true)).toBe('connected');
    expect(linkStateOf('suspended', true)).toBe('offline');
    expect(linkStateOf('failed', true)).toBe('offline');
  });
});

describe('clientOptions', () => {
  const at = (href: string) => {
    const u = new URL(href);
    return { href, protocol: u.protocol, hostname: u.hostname, port: u.port } as Location;
  };

  it('connects to the server that served the page, with the default transports of the SDK and the token endpoint', () => {
    expect(clientOptions(at('http://127.0.0.1:8080/'))).toMatchObject({
      endpoint: '127.0.0.1',
      port: 8080,
      tls: false,
      authUrl: 'http://127.0.0.1:8080/auth/token',
    });
    // no transports option: WebSocket first, Comet (xhr_polling) where a proxy blocks WebSockets
    expect(clientOptions(at('http://127.0.0.1:8080/')).transports).toBeUndefined();
    expect(clientOptions(at('https://chat.example.com/'))).toMatchObject({ endpoint: 'chat.example.com', port: 443, tlsPort: 443, tls: true });
  });

  it('uses restHost for a bare host name, which the SDK would otherwise read as a routing policy', () => {
    const options = clientOptions(at('http://rowcast:8080/'));
    expect(options.restHost).toBe('rowcast');
    expect(options.endpoint).toBeUndefined();
  });
});
