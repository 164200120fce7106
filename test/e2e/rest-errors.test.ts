import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { decode, encode } from '@msgpack/msgpack';
import * as Ably from 'ably';
import { startRowcast } from '../support/rowcast.ts';

/**
 * The REST surface as a plain HTTP client (curl, a browser) sees it: Ably error bodies and headers, CORS,
 * bounded bodies, both body formats, the `envelope` wrapper.
 */
let server: Awaited<ReturnType<typeof startRowcast>>;
const basic = (key: string) => `Basic ${Buffer.from(key).toString('base64')}`;
const FULL = basic('app1.full:fullsecret');

beforeAll(async () => {
  server = await startRowcast();
});
afterAll(async () => {
  await server?.close();
});

async function errorOf(res: Response) {
  const body = (await res.json()) as { error: { code: number; statusCode: number; message: string; href?: string } };
  expect(res.headers.get('content-type')).toBe('application/json');
  expect(res.headers.get('x-ably-errorcode')).toBe(String(body.error.code));
  expect(res.headers.get('x-ably-errormessage')).toBeTruthy();
  expect(body.error.statusCode).toBe(res.status);
  return body.error;
}

describe('REST errors', () => {
  it('unknown REST path: 40400', async () => {
    const res = await fetch(`${server.url}/channels/a/b/c/d`, { headers: { authorization: FULL } });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe(40400);
  });

  it('no credentials: 40101; wrong secret: 40101; garbage bearer token: 4014x', async () => {
    let res = await fetch(`${server.url}/channels/x/messages`);
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe(40101);
    res = await fetch(`${server.url}/channels/x/messages`, { headers: { authorization: basic('app1.full:nope') } });
    expect((await errorOf(res)).code).toBe(40101);
    res = await fetch(`${server.url}/channels/x/messages`, {
      headers: { authorization: `Bearer ${Buffer.from('not-a-token').toString('base64')}` },
    });
    const err = await errorOf(res);
    expect(err.code).toBeGreaterThanOrEqual(40140);
    expect(err.code).toBeLessThan(40150);
  });

  it('malformed JSON body: 40000, and the server keeps answering', async () => {
    const res = await fetch(`${server.url}/channels/x/messages`, {
      method: 'POST',
      headers: { authorization: FULL, 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe(40000);
    const time = await fetch(`${server.url}/time`);
    expect(time.status).toBe(200);
  });

  it('malformed msgpack body: 40000, answered in msgpack when asked', async () => {
    const res = await fetch(`${server.url}/channels/x/messages`, {
      method: 'POST',
      headers: { authorization: FULL, 'content-type': 'application/x-msgpack', accept: 'application/x-msgpack' },
      body: new Uint8Array([0xc1, 0xff, 0x00]),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/x-msgpack');
    const body = decode(new Uint8Array(await res.arrayBuffer())) as { error: { code: number } };
    expect(body.error.code).toBe(40000);
  });

  it('an oversized body is refused with 40009 without being buffered', async () => {
    const res = await fetch(`${server.url}/channels/x/messages`, {
      method: 'POST',
      headers: { authorization: FULL, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'big', data: 'x'.repeat(5 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe(40009);
  });

  it('a chunked body that grows past the limit is cut off with 40009 as soon as it does', async () => {
    const { status, code, written } = await new Promise<{ status: number; code: string; written: number }>((resolve, reject) => {
      const req = request(`${server.url}/channels/x/messages`, {
        method: 'POST',
        headers: { authorization: FULL, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      let written = 0;
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      req.on('response', (res) => {
        res.resume();
        resolve({ status: res.statusCode!, code: String(res.headers['x-ably-errorcode']), written });
        req.destroy();
      });
      req.on('error', (err) => (written > 0 ? undefined : reject(err)));
      // Keep sending (up to 64 MiB) until the server answers: it must not wait for the end.
      const pump = () => {
        while (written < 64 * 1024 * 1024 && !req.destroyed) {
          written += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!req.destroyed) req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    expect(code).toBe('40009');
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('a message over maxMessageSize is refused with 40009', async () => {
    const res = await fetch(`${server.url}/channels/x/messages`, {
      method: 'POST',
      headers: { authorization: FULL, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'big', data: 'x'.repeat(70_000) }),
    });
    expect((await errorOf(res)).code).toBe(40009);
  });

  it('a wrong method on a known path: 40500', async () => {
    const res = await fetch(`${server.url}/time`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect((await errorOf(res)).code).toBe(40500);
  });
});

describe('REST for browsers and hand-written clients', () => {
  it('answers CORS preflight and sets CORS headers on responses', async () => {
    const pre = await fetch(`${server.url}/channels/x/messages`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, x-ably-version, ably-agent, content-type',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    const res = await fetch(`${server.url}/time`, { headers: { origin: 'http://app.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('http://app.example');
  });

  it('accepts a raw JSON object message and a msgpack body with binary data', async () => {
    let res = await fetch(`${server.url}/channels/raw/messages`, {
      method: 'POST',
      headers: { authorization: FULL, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'obj', data: { a: 1 } }),
    });
    expect(res.status).toBe(201);
    res = await fetch(`${server.url}/channels/raw/messages`, {
      method: 'POST',
      headers: { authorization: FULL, 'content-type': 'application/x-msgpack', accept: 'application/x-msgpack' },
      body: encode([{ name: 'bin', data: new Uint8Array([1, 2, 3]) }]),
    });
    expect(res.status).toBe(201);
    const published = decode(new Uint8Array(await res.arrayBuffer())) as { serials: string[] };
    expect(published.serials).toHaveLength(1);
    const history = await fetch(`${server.url}/channels/raw/messages?direction=forwards`, { headers: { authorization: FULL } });
    const items = (await history.json()) as Array<{ name: string; data: unknown; encoding?: string }>;
    expect(items.map((m) => [m.name, m.data, m.encoding])).toEqual([
      ['obj', '{"a":1}', 'json'],
      ['bin', Buffer.from([1, 2, 3]).toString('base64'), 'base64'],
    ]);
  });

  it('wraps the answer in an envelope when asked (envelope=json)', async () => {
    const res = await fetch(`${server.url}/channels/raw?envelope=json`, { headers: { authorization: FULL } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { statusCode: number; response: { name: string } };
    expect(body.statusCode).toBe(200);
    expect(body.response.name).toBe('raw');
  });

  it('accepts a raw (not base64) bearer token, as curl users send it', async () => {
    const tokenRes = await fetch(`${server.url}/keys/app1.full/requestToken`, {
      method: 'POST',
      headers: { authorization: FULL, 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: 'curl' }),
    });
    expect(tokenRes.status).toBe(201);
    const { token, clientId } = (await tokenRes.json()) as { token: string; clientId: string };
    expect(clientId).toBe('curl');
    const res = await fetch(`${server.url}/channels/raw/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'as-curl', data: 'hi' }),
    });
    expect(res.status).toBe(201);
  });

  it('applies Ably clientId rules: X-Ably-ClientId (base64) names the identity, tokens bind it', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    // A key holder may name any identity; its messages then carry it.
    let res = await fetch(`${server.url}/channels/ids/messages`, {
      method: 'POST',
      headers: { authorization: FULL, 'x-ably-clientid': b64('keyholder'), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'who', data: 'me' }),
    });
    expect(res.status).toBe(201);
    const history = await fetch(`${server.url}/channels/ids/messages`, { headers: { authorization: FULL } });
    expect(((await history.json()) as Array<{ clientId?: string }>)[0]!.clientId).toBe('keyholder');

    const tokenRes = await fetch(`${server.url}/keys/app1.full/requestToken`, {
      method: 'POST',
      headers: { authorization: FULL, 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: 'bound' }),
    });
    const bearer = `Bearer ${b64(((await tokenRes.json()) as { token: string }).token)}`;
    // A token bound to "bound" cannot claim another identity (40102) nor publish as another clientId (40012).
    res = await fetch(`${server.url}/channels/ids/messages`, {
      headers: { authorization: bearer, 'x-ably-clientid': b64('other') },
    });
    expect((await errorOf(res)).code).toBe(40102);
    res = await fetch(`${server.url}/channels/ids/messages`, {
      method: 'POST',
      headers: { authorization: bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'spoof', data: 'x', clientId: 'someone-else' }),
    });
    expect((await errorOf(res)).code).toBe(40012);
  });
});

describe('REST under garbage', () => {
  it('answers 500 malformed requests with Ably 4xx errors while a realtime pair loses nothing', async () => {
    const options = { endpoint: '127.0.0.1', port: server.port, tls: false, logLevel: 0, key: 'app1.full:fullsecret' };
    const a = new Ably.Realtime(options);
    const b = new Ably.Realtime(options);
    try {
      const got: string[] = [];
      await b.channels.get('calm').subscribe((m) => got.push(m.data as string));
      const garbage = (i: number): [string, RequestInit] => {
        const kinds: Array<[string, RequestInit]> = [
          [
            '/channels/g/messages',
            { method: 'POST', headers: { authorization: FULL, 'content-type': 'application/x-msgpack' }, body: randomBytes(64) },
          ],
          ['/channels/g/messages', { method: 'POST', headers: { authorization: FULL, 'content-type': 'application/json' }, body: '[{"name":' }],
          [
            '/channels/g/messages',
            { method: 'POST', headers: { authorization: FULL, 'content-type': 'application/json' }, body: '[{"name":5,"data":true}]' },
          ],
          ['/messages', { method: 'POST', headers: { authorization: FULL, 'content-type': 'application/json' }, body: '{"channels":5}' }],
          ['/channels/g/messages', { headers: { authorization: `Basic ${randomBytes(12).toString('base64')}` } }],
          ['/channels/g/messages', { headers: { authorization: `Bearer ${randomBytes(30).toString('base64')}` } }],
          ['/channels/g/messages?limit=-4&direction=up', { headers: { authorization: FULL } }],
          ['/keys/app1.full/requestToken', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"mac":7}' }],
          ['/presence', { headers: { authorization: FULL } }],
          ['/channels/%E0%A4%A/messages', { headers: { authorization: FULL } }],
        ];
        return kinds[i % kinds.length]!;
      };
      const statuses = new Set<number>();
      const codes = new Set<number>();
      const sent: string[] = [];
      const publisher = a.channels.get('calm');
      for (let round = 0; round < 10; round++) {
        const answers = Array.from({ length: 50 }, async (_, j) => {
          const [path, init] = garbage(round * 50 + j);
          const res = await fetch(`${server.url}${path}`, init);
          statuses.add(res.status);
          codes.add(Number(res.headers.get('x-ably-errorcode')));
        });
        const data = `m${round}`;
        await publisher.publish('n', data);
        sent.push(data);
        await Promise.all(answers);
      }
      expect([...statuses].every((s) => s >= 400 && s < 500)).toBe(true);
      expect([...codes].every((c) => c >= 40000 && c < 50000)).toBe(true);
      await expect.poll(() => got).toEqual(sent);
    } finally {
      a.close();
      b.close();
    }
  });
});
