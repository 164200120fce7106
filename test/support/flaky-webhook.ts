import { createServer } from 'node:http';
import { freePort } from './ports.ts';

/** A webhook endpoint that answers 503 until `healthy` is set, then records each envelope's first message data. */
export interface FlakyWebhook {
  url: string;
  /** data of the first message of each envelope accepted, in arrival order. */
  delivered: string[];
  healthy: boolean;
  close(): Promise<void>;
}

/** Starts a FlakyWebhook on a free port of 127.0.0.1, down (503) until told otherwise. */
export async function startFlakyWebhook(): Promise<FlakyWebhook> {
  const port = await freePort();
  const hook: FlakyWebhook = {
    url: `http://127.0.0.1:${port}/`,
    delivered: [],
    healthy: false,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!hook.healthy) return void res.writeHead(503).end('down for maintenance');
      hook.delivered.push(JSON.parse(Buffer.concat(chunks).toString()).messages[0].data);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  return hook;
}
