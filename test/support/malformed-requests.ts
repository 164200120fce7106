import { encode } from '@msgpack/msgpack';
import { deepBytes, pick, type Rand } from './malformed-frames.ts';

/**
 * Malformed REST requests for the fuzz test (issue 16): bodies, paths, params and credentials that the REST API
 * must refuse with a 4xx Ably error. `code` is set where exactly one code is right.
 */
export interface MalformedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  kind: string;
  code?: number;
}

const JSON_TYPE = 'application/json';
const MSGPACK_TYPE = 'application/x-msgpack';

function int(rand: Rand, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

const WRONG: unknown[] = [null, true, 0, 1.5, 'str', [], [1], {}, { a: 1 }];

/** A publish body that must be refused, in JSON or msgpack. */
function badPublishBody(rand: Rand, msgpack: boolean): { body: string | Uint8Array; kind: string; code?: number } {
  const enc = (v: unknown) => (msgpack ? encode(v) : JSON.stringify(v));
  const r = rand();
  if (r < 0.15) {
    const valid = enc([{ name: 'n', data: 'x'.repeat(int(rand, 0, 30)) }]);
    return { body: valid.slice(0, int(rand, 1, valid.length - 1)), kind: 'truncated body', code: 40000 };
  }
  if (r < 0.25) return { body: enc(pick(rand, [null, 5, 'str', true, []])), kind: 'not messages' };
  if (r < 0.5) {
    const field = pick(rand, ['id', 'name', 'clientId', 'encoding', 'extras', 'data']);
    const value =
      field === 'extras' ? pick(rand, [true, 5, 'str', [1]]) : field === 'data' ? pick(rand, [5, true]) : pick(rand, [5, true, [], { a: 1 }]);
    return { body: enc({ name: 'n', [field]: value }), kind: `message.${field}` };
  }
  if (r < 0.8) {
    const levels = rand() < 0.05 ? 20_000 : int(rand, 65, 400);
    const field = rand() < 0.6 ? 'extras' : 'data';
    const deep = deepBytes(msgpack ? 'msgpack' : 'json', levels);
    if (!msgpack) return { body: `{"name":"deep","${field}":${deep as string}}`, kind: `deep ${field}`, code: 40000 };
    // map of 2: "name" -> "deep", field -> the deep value
    const head = Buffer.concat([Buffer.from([0x82]), Buffer.from(encode('name')), Buffer.from(encode('deep')), Buffer.from(encode(field))]);
    return { body: Buffer.concat([head, deep as Uint8Array]), kind: `deep ${field}`, code: 40000 };
  }
  return { body: enc({ name: 'big', data: 'x'.repeat(int(rand, 65_537, 90_000)) }), kind: 'oversize', code: 40009 };
}

/** One malformed REST request, authenticated with `auth` unless the damage is the credentials. */
export function malformedRequest(rand: Rand, auth: string): MalformedRequest {
  const msgpack = rand() < 0.5;
  const headers: Record<string, string> = { authorization: auth, 'content-type': msgpack ? MSGPACK_TYPE : JSON_TYPE };
  if (rand() < 0.5) headers.accept = MSGPACK_TYPE;
  const r = rand();
  if (r < 0.5) return { method: 'POST', path: '/channels/fuzz-rest/messages', headers, ...badPublishBody(rand, msgpack) };
  if (r < 0.6) {
    const spec = pick(rand, [
      () =>
        pick(
          rand,
          WRONG.filter((v) => !Array.isArray(v) || v.length > 0),
        ),
      () => [],
      () => [{ channels: pick(rand, [[], '', 5, [5], null]), messages: { name: 'n' } }],
      () => [{ channels: Array.from({ length: 101 }, (_, i) => `fuzz-batch-${i}`), messages: { name: 'n' } }],
      () => [{ channels: ['fuzz-batch'], messages: pick(rand, [[], null, 5, [5], [{ name: 5 }]]) }],
    ])();
    return { method: 'POST', path: '/messages', headers, body: msgpack ? encode(spec) : JSON.stringify(spec), kind: 'batch spec' };
  }
  if (r < 0.7) {
    const channel = pick(rand, ['%3Acolon', '%01ctl', '%5B%3Fx', '%5Bx%5Dy', 'x'.repeat(2049), '%E0%A4%A', '%ZZ']);
    return {
      method: 'POST',
      path: `/channels/${channel}/messages`,
      headers,
      body: msgpack ? encode({ name: 'n' }) : '{"name":"n"}',
      kind: 'channel name',
    };
  }
  if (r < 0.8) {
    const query = pick(rand, ['limit=abc', 'limit=0', 'limit=5000', 'limit=-1', 'direction=sideways', 'start=yesterday', 'end=x', 'start=5&end=1']);
    const path = pick(rand, ['/channels/fuzz-rest/messages', '/channels/fuzz-rest/presence/history', '/channels/fuzz-rest/presence']);
    const presenceMembers = path.endsWith('/presence');
    return {
      method: 'GET',
      path: `${path}?${presenceMembers ? pick(rand, ['limit=abc', 'limit=0', 'limit=5000', 'cursor=x', 'cursor=-3']) : query}`,
      headers,
      kind: 'query',
    };
  }
  if (r < 0.9) {
    const credentials = pick(rand, [
      '',
      `Basic ${Buffer.from('app1.full:wrong').toString('base64')}`,
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      'Basic !!!',
      `Bearer ${Buffer.from('not-a-token').toString('base64')}`,
      'Bearer ',
      'Digest x',
    ]);
    const h = { ...headers, authorization: credentials };
    if (!credentials) delete (h as Partial<typeof h>).authorization;
    return { method: pick(rand, ['GET', 'POST']), path: '/channels/fuzz-rest/messages', headers: h, body: undefined, kind: 'credentials' };
  }
  return pick(rand, [
    (): MalformedRequest => ({ method: 'GET', path: '/channels/a/b/c/d', headers, kind: 'unknown path', code: 40400 }),
    (): MalformedRequest => ({ method: 'PUT', path: '/channels/fuzz-rest/messages', headers, kind: 'method', code: 40400 }), // a known path with a method it lacks: 404 40400, as Ably answers,
    (): MalformedRequest => ({ method: 'GET', path: '/presence', headers, kind: 'batch presence without channels' }),
    (): MalformedRequest => {
      // Not token params: not an object, or a TokenRequest whose fields are of the wrong types or whose MAC is wrong.
      const body = pick(rand, [
        null,
        5,
        'str',
        [1],
        { keyName: 'app1.full', nonce: 5, timestamp: 'now', mac: 'x' },
        { keyName: 'app1.full', nonce: 'n0nce-long-enough', timestamp: Date.now(), mac: 'not-the-mac' },
        { ttl: 'long' },
        { capability: '{not json' },
      ]);
      return {
        method: 'POST',
        path: '/keys/app1.full/requestToken',
        headers,
        body: msgpack ? encode(body) : JSON.stringify(body),
        kind: 'token request',
      };
    },
  ])();
}
