import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { freePort } from '@rowcast/test-support/ports';
import { rulesSectionSchema } from '../config.js';
import type { QueuedDelivery } from '../queue/delivery-queue.js';
import { HttpTarget, signBody } from './http-target.js';

/** What counts as a failed webhook attempt, against a local HTTP server that misbehaves on purpose. */

let server: Server;
let base: string;
const bodies: Buffer[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      if (req.url === '/hang') return; // never answers
      if (req.url === '/redirect') return void res.writeHead(302, { location: '/ok' }).end();
      if (req.url === '/teapot') return void res.writeHead(418).end('short and stout');
      res.writeHead(204).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

const delivery: QueuedDelivery = {
  seq: 1,
  ruleId: 'hook',
  channel: 'orders:1',
  source: 'channel.message',
  deliveryId: 'c:1:0',
  item: { id: 'c:1:0', timestamp: 1, name: 'n', data: 'd' },
  attempts: 0,
  notBefore: 0,
};

function target(path: string, signingKey?: { name: string; secret: string }, timeoutMs = 10_000) {
  const [rule] = rulesSectionSchema.parse([{ id: 'hook', target: { type: 'http', url: `${base}${path}`, timeoutMs } }]);
  return new HttpTarget({ rule, appId: 'app1', site: 's', logger: pino({ level: 'silent' }) }, signingKey);
}

describe('http target', () => {
  it('succeeds on any 2xx and signs the exact body it sent', async () => {
    const before = bodies.length;
    await target('/ok', { name: 'app1.full', secret: 'fullsecret' }).deliver(delivery);
    const sent = bodies[before];
    expect(JSON.parse(sent.toString())).toMatchObject({ ruleId: 'hook', channel: 'orders:1', messages: [{ id: 'c:1:0' }] });
    expect(signBody(sent, 'fullsecret')).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it('fails on a non-2xx status (redirects are not followed), naming the status', async () => {
    await expect(target('/teapot').deliver(delivery)).rejects.toThrow(/HTTP 418 .*short and stout/);
    await expect(target('/redirect').deliver(delivery)).rejects.toThrow(/HTTP 302/);
  });

  it('fails when the endpoint does not answer within the timeout', async () => {
    await expect(target('/hang', undefined, 300).deliver(delivery)).rejects.toThrow('timed out after 300 ms');
  });

  it('fails when nothing listens', async () => {
    const port = await freePort();
    const [rule] = rulesSectionSchema.parse([{ id: 'hook', target: { type: 'http', url: `http://127.0.0.1:${port}/x` } }]);
    const closed = new HttpTarget({ rule, appId: 'app1', site: 's', logger: pino({ level: 'silent' }) });
    await expect(closed.deliver(delivery)).rejects.toThrow(/POST http:\/\/127\.0\.0\.1:\d+\/x failed: .*ECONNREFUSED/);
  });
});
