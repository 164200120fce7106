import * as Ably from 'ably';
import { serveParent } from '../lib/proc.js';

interface Args {
  /** Rowcast's port on 127.0.0.1. */
  port: number;
  key: string;
}

interface RunArgs {
  channel: string;
  messages: number;
  /** Publishes in flight (published, not yet acknowledged). */
  window: number;
  payloadBytes: number;
}

export interface PublishRunResult {
  published: number;
  elapsedMs: number;
  /** Publish-to-ACK time of each publish, ms. */
  ackMs: number[];
}

/**
 * Load generator of the rules benchmark: one `ably` SDK realtime client (msgpack, the Node default) publishing
 * in a closed loop with `window` publishes in flight; each publish's ACK time is recorded. The ACK comes after
 * the server ran its accepted-publish hooks, so it includes whatever work the rules add to that publish.
 */
await serveParent<Args, { connectionId: string }>(async (args) => {
  const client = new Ably.Realtime({ key: args.key, endpoint: '127.0.0.1', port: args.port, tls: false, clientId: 'bench-publisher' });
  await new Promise<void>((resolve, reject) => {
    client.connection.once('connected', () => resolve());
    client.connection.once('failed', (change) => reject(new Error(change.reason?.message ?? 'connection failed')));
  });
  return {
    ready: { connectionId: client.connection.id ?? '' },
    handlers: {
      async run(run: RunArgs): Promise<PublishRunResult> {
        const channel = client.channels.get(run.channel);
        await channel.attach();
        const data = 'x'.repeat(run.payloadBytes);
        const ackMs: number[] = [];
        let next = 0;
        const started = performance.now();
        const worker = async () => {
          while (next < run.messages) {
            next++;
            const sent = performance.now();
            await channel.publish('bench', data);
            ackMs.push(performance.now() - sent);
          }
        };
        await Promise.all(Array.from({ length: run.window }, worker));
        return { published: ackMs.length, elapsedMs: performance.now() - started, ackMs };
      },
      stop() {
        client.close();
      },
    },
  };
});
