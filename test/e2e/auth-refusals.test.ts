import { describe, expect, it } from 'vitest';
import type * as Ably from 'ably';
import { KEYS } from '../support/rowcast.ts';
import { useRowcast } from '../support/use-rowcast.ts';

/**
 * Credentials that must be refused with the right Ably code, while the server keeps serving everybody else:
 * forged MAC, replayed nonce, stale timestamp, expired token, and a key whose capability does not cover the
 * operation.
 */
const FULL_KEY = KEYS.full;
const SUB_KEY = KEYS.sub;
const { server, realtime, rest } = useRowcast();

/** Asks the server for a token with a TokenRequest handed over by an authCallback, as an app would. */
function redeem(tokenRequest: Ably.TokenRequest, useBinaryProtocol: boolean): Promise<Ably.TokenDetails> {
  const client = rest({ authCallback: (_p, cb) => cb(null, tokenRequest), useBinaryProtocol });
  return client.auth.requestToken();
}

async function errorCode(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
  } catch (err) {
    return (err as Ably.ErrorInfo).code;
  }
  return undefined;
}

/** A realtime pair on one channel that must keep working while others are refused. */
async function healthyPair(useBinaryProtocol: boolean) {
  const a = realtime({ key: FULL_KEY, useBinaryProtocol });
  const b = realtime({ key: FULL_KEY, useBinaryProtocol });
  const channel = b.channels.get('healthy');
  const got: string[] = [];
  await channel.subscribe((m) => got.push(m.data as string));
  return {
    async exchange(data: string) {
      await a.channels.get('healthy').publish('m', data);
      await expect.poll(() => got.includes(data)).toBe(true);
    },
  };
}

describe.each([
  ['msgpack', true],
  ['json', false],
])('refused credentials over %s', (_name, useBinaryProtocol) => {
  const signer = () => rest({ key: FULL_KEY });

  it('forged MAC: 40101; replayed nonce: 40105; stale timestamp: 40104; others keep working', async () => {
    const pair = await healthyPair(useBinaryProtocol);
    await pair.exchange('before');

    const good = await signer().auth.createTokenRequest({ clientId: 'alice' });
    const forged = { ...good, clientId: 'mallory' };
    expect(await errorCode(redeem(forged, useBinaryProtocol))).toBe(40101);
    const wrongKey = await rest({ key: 'app1.full:not-the-secret' }).auth.createTokenRequest({});
    expect(await errorCode(redeem(wrongKey, useBinaryProtocol))).toBe(40101);

    const details = await redeem(good, useBinaryProtocol);
    expect(details.clientId).toBe('alice');
    expect(await errorCode(redeem(good, useBinaryProtocol))).toBe(40105);

    const stale = await signer().auth.createTokenRequest({ timestamp: Date.now() - 60 * 60_000 } as Ably.TokenParams);
    expect(await errorCode(redeem(stale, useBinaryProtocol))).toBe(40104);

    // A realtime client whose authUrl hands it a forged request never connects.
    const victim = realtime({
      authCallback: (_p, cb) => cb(null, forged),
      useBinaryProtocol,
    });
    await new Promise<void>((resolve) => {
      victim.connection.on((change) => {
        if (change.current === 'disconnected' || change.current === 'failed' || change.current === 'suspended') resolve();
      });
    });
    expect(victim.connection.state).not.toBe('connected');
    expect(victim.connection.errorReason?.code).toBeTypeOf('number');
    victim.close();

    await pair.exchange('after');
  });

  it('an expired token without a way to renew is refused: realtime fails, REST answers 40142', async () => {
    const pair = await healthyPair(useBinaryProtocol);
    const details = await rest({ key: FULL_KEY }).auth.requestToken({ ttl: 1000, clientId: 'brief' });
    await new Promise((r) => setTimeout(r, 1100));

    const client = realtime({ token: details.token, useBinaryProtocol });
    await client.connection.whenState('failed');
    // The server said 40142 (expired); with no means to renew, the SDK gives up with 40171.
    expect([40142, 40171]).toContain(client.connection.errorReason?.code);

    const res = await fetch(`${server().url}/channels/x/messages`, {
      headers: { authorization: `Bearer ${Buffer.from(details.token).toString('base64')}` },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(40142);

    await pair.exchange('still fine');
  });

  it('the app1.sub key cannot publish (40160) nor attach outside room* (40160), over realtime and REST', async () => {
    const pair = await healthyPair(useBinaryProtocol);
    const sub = realtime({ key: SUB_KEY, useBinaryProtocol });
    const room = sub.channels.get('room1');
    await room.attach();
    expect(await errorCode(room.publish('nope', 'x'))).toBe(40160);
    const lobby = sub.channels.get('lobby');
    expect(await errorCode(lobby.attach())).toBe(40160);
    expect(lobby.state).toBe('failed');
    expect(sub.connection.state).toBe('connected');

    const subRest = rest({ key: SUB_KEY, useBinaryProtocol });
    expect(await errorCode(subRest.channels.get('room1').publish('nope', 'x'))).toBe(40160);
    expect(await errorCode(subRest.channels.get('room1').history())).toBe(40160);
    // A token asked for more than the key holds is refused too.
    expect(await errorCode(subRest.auth.requestToken({ capability: { lobby: ['publish'] } }))).toBe(40160);

    await pair.exchange('unaffected');
  });
});
