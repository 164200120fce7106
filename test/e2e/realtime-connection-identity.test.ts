import { describe, expect, it } from 'vitest';
import type * as Ably from 'ably';
import { KEYS, until } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/**
 * Issue 11, item 6: `recover` (or a resume) with a key that is not one of ours gives a new connection with 80018,
 * as Ably does (80008 stays for a well-formed key that is unknown or expired); a token for the wildcard clientId
 * `*` gives `auth.clientId` `*` (RSA7b4), or the clientId the client chose.
 */
const { realtime, rest } = useRowcast();

describe.each([
  ['msgpack', true],
  ['json', false],
])('connection identity (%s)', (_format, useBinaryProtocol) => {
  async function connectedChange(client: Ably.Realtime): Promise<Ably.ConnectionStateChange> {
    return new Promise((ok) => client.connection.once('connected', ok));
  }

  it('recover with a malformed key connects afresh with 80018', async () => {
    const recover = JSON.stringify({ connectionKey: '_____!not-a-rowcast-key____', msgSerial: 3, channelSerials: {} });
    const client = realtime({ key: KEYS.full, useBinaryProtocol, recover });
    const change = await connectedChange(client);
    expect(change.reason?.code).toBe(80018);
    expect(client.connection.errorReason?.code).toBe(80018);
    expect(client.connection.key).not.toContain('not-a-rowcast-key');
    // The new connection works.
    const ch = client.channels.get('recover-malformed');
    const got: string[] = [];
    await ch.subscribe((m) => void got.push(String(m.data)));
    await ch.publish('n', 'works');
    await until(() => got.length === 1, 'the message on the new connection');
  });

  it('recover with a well-formed but unknown key connects afresh with 80008', async () => {
    const recover = JSON.stringify({ connectionKey: 'AAAAAAAAAAAA!BBBBBBBBBBBBBBBB', msgSerial: 0, channelSerials: {} });
    const client = realtime({ key: KEYS.full, useBinaryProtocol, recover });
    expect((await connectedChange(client)).reason?.code).toBe(80008);
  });

  it('a wildcard-clientId token gives auth.clientId "*", or the clientId the client asked for', async () => {
    const token = await rest({ key: KEYS.full }).auth.requestToken({ clientId: '*' });
    const anyone = realtime({ token: token.token, useBinaryProtocol });
    await anyone.connection.whenState('connected');
    expect(anyone.auth.clientId).toBe('*');
    // Acting as any clientId: a message may carry one.
    const ch = anyone.channels.get('wildcard-token');
    const got: Array<string | undefined> = [];
    await ch.subscribe((m) => void got.push(m.clientId));
    await ch.publish({ name: 'n', data: 'as bob', clientId: 'bob' });
    await until(() => got.length === 1, 'the message');
    expect(got).toEqual(['bob']);

    const named = realtime({ token: token.token, clientId: 'carol', useBinaryProtocol });
    await named.connection.whenState('connected');
    expect(named.auth.clientId).toBe('carol');
  });

  it('key auth without a clientId stays anonymous (no "*")', async () => {
    const client = realtime({ key: KEYS.full, useBinaryProtocol });
    await client.connection.whenState('connected');
    expect(client.auth.clientId).toBeUndefined();
  });
});
