import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import * as Ably from 'ably';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { freePort } from '../support/ports.ts';
import { deepObject, deepObjectLevels, rawSocket } from '../support/raw-socket.ts';
import { clientOptions, KEYS, startRowcast, until, type TestRowcast } from '../support/rowcast.ts';

/**
 * Issue 16, integration rules: what is refused for nesting too deep never reaches a rule (nothing refused is kept,
 * the rules' queue included), for messages and presence alike, and a message at the limit (64 levels of extras)
 * is delivered intact in its envelope.
 */
const envelopes: Array<{ source: string; messages?: Array<Record<string, unknown>>; presence?: Array<Record<string, unknown>> }> = [];
let hookServer: Server;
let db: TestDatabase;
let server: TestRowcast;

beforeAll(async () => {
  const port = await freePort();
  hookServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      envelopes.push(JSON.parse(Buffer.concat(chunks).toString()));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((ok) => hookServer.listen(port, '127.0.0.1', ok));
  db = await createTestDatabase('rules_deep');
  server = await startRowcast({
    database: { url: db.url },
    rules: [
      { id: 'messages', channelFilter: '^deep-rule$', source: 'channel.message', target: { type: 'http', url: `http://127.0.0.1:${port}/m` } },
      { id: 'presence', channelFilter: '^deep-rule$', source: 'channel.presence', target: { type: 'http', url: `http://127.0.0.1:${port}/p` } },
    ],
  });
});

afterAll(async () => {
  await server?.close();
  await new Promise((ok) => hookServer?.close(ok));
  await db?.drop();
});

it('delivers to rules what was accepted, up to the depth limit, and nothing that was refused', async () => {
  const rest = new Ably.Rest(clientOptions(server, { key: KEYS.full }) as Ably.ClientOptions);
  const channel = rest.channels.get('deep-rule');
  await expect(channel.publish({ name: 'too-deep', extras: deepObject(65) })).rejects.toMatchObject({ code: 40000 });
  await channel.publish({ name: 'at-limit', extras: deepObject(64) });

  const sock = await rawSocket(server, KEYS.full, 'msgpack', { clientId: 'carol' });
  await sock.next((f) => f.action === 4, 'CONNECTED');
  sock.send({ action: 14, channel: 'deep-rule', msgSerial: 0, presence: [{ action: 2, data: 'x', extras: deepObject(65) }] });
  expect((await sock.next((f) => f.action === 2, 'NACK of the too-deep enter')).error?.code).toBe(40000);
  sock.send({ action: 14, channel: 'deep-rule', msgSerial: 1, presence: [{ action: 2, data: 'x', extras: deepObject(64) }] });
  await sock.next((f) => f.action === 1 && f.msgSerial === 1, 'ACK of the enter at the limit');
  sock.send({ action: 14, channel: 'deep-rule', msgSerial: 2, presence: [{ action: 3 }] });
  await sock.next((f) => f.action === 1 && f.msgSerial === 2, 'ACK of the leave');
  sock.ws.close();

  await until(() => envelopes.some((e) => e.presence?.some((p) => p.action === 3)), 'the envelopes of the message, the enter and the leave');
  const messages = envelopes.flatMap((e) => e.messages ?? []);
  expect(messages.map((m) => m.name)).toEqual(['at-limit']);
  expect(deepObjectLevels(messages[0]!.extras)).toBe(64);
  const presence = envelopes.flatMap((e) => e.presence ?? []);
  expect(presence.map((p) => [p.clientId, p.action])).toEqual([
    ['carol', 2],
    ['carol', 3],
  ]);
});
