import * as Ably from 'ably';
import { serveParent } from '../lib/proc.js';
import { nowMs, sleep } from '../lib/clock.js';
import { makePayload, parsePayload } from '../lib/payload.js';

interface Args {
  port: number;
  key: string;
  subscribers: number;
  subscribeChannel: string;
  publishChannel: string;
  /** false: JSON; true: msgpack (the Node SDK's default). */
  useBinaryProtocol: boolean;
}

interface RunArgs {
  rate: number;
  durationMs: number;
  /** Messages published in the first `warmupMs` are left out of the samples. */
  warmupMs: number;
  contentBytes: number;
}

export interface SdkLatencyResult {
  published: number;
  /** Receipts of measured messages, over all subscribers. */
  received: number;
  expected: number;
  latenciesMs: Float64Array;
  /** Stage split: publish -> row inserted (rule queue + function), and row inserted -> received (capture + fan-out). */
  toInsertMs: Float64Array;
  afterInsertMs: Float64Array;
  /** Publishes that the server refused (NACK) or that failed. */
  publishErrors: number;
}

function client(args: Args, clientId: string): Ably.Realtime {
  return new Ably.Realtime({
    key: args.key, clientId, endpoint: '127.0.0.1', port: args.port, tls: false,
    useBinaryProtocol: args.useBinaryProtocol, echoMessages: false, logLevel: 0,
  });
}

/**
 * Load generator for the DB-driven path: `subscribers` real `ably` SDK clients on `incoming-chat` and one SDK
 * publisher sending chat messages (`chatMsg`, `{username, content}`, as the chat app does) on `outgoing-chat`
 * at a fixed rate. A subscriber receives the connector's message (JSON text `{table, type, row}`) and finds
 * the publish time in `row.msg_data`. The rate is open loop: the "500 msg/s" is the offered load.
 */
await serveParent<Args, { subscribers: number }>(async (args) => {
  const subs: Ably.Realtime[] = [];
  let recordFrom = Infinity;
  let samples: number[] = [];
  let toInsert: number[] = [];
  let afterInsert: number[] = [];
  let received = 0;
  const onMessage = (msg: Ably.InboundMessage) => {
    const t = nowMs();
    const text = typeof msg.data === 'string' ? msg.data : JSON.stringify(msg.data);
    const change = JSON.parse(text) as { row?: { msg_data?: string; inserted_at?: number } };
    const p = parsePayload(change.row?.msg_data ?? '');
    if (p && p.seq >= recordFrom) {
      samples.push(t - p.sentAt);
      const insertedAt = Number(change.row?.inserted_at);
      if (Number.isFinite(insertedAt)) {
        toInsert.push(insertedAt - p.sentAt);
        afterInsert.push(t - insertedAt);
      }
      received++;
    }
  };
  for (let i = 0; i < args.subscribers; i++) {
    const c = client(args, `bench-sub-${i}`);
    subs.push(c);
  }
  await Promise.all(subs.map((c) => c.channels.get(args.subscribeChannel).subscribe(onMessage)));
  const pub = client(args, 'bench-publisher');
  const outgoing = pub.channels.get(args.publishChannel);
  await outgoing.attach();
  await sleep(300);
  return {
    ready: { subscribers: subs.length },
    handlers: {
      async run(run: RunArgs): Promise<SdkLatencyResult> {
        samples = [];
        toInsert = [];
        afterInsert = [];
        received = 0;
        let published = 0;
        let publishErrors = 0;
        let measuredFrom = -1;
        const started = nowMs();
        recordFrom = Infinity;
        // Publish on a 5 ms tick, catching up to rate × elapsed, so timer jitter does not lower the rate.
        await new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            const elapsed = nowMs() - started;
            if (measuredFrom < 0 && elapsed >= run.warmupMs) {
              measuredFrom = published;
              recordFrom = published;
            }
            const due = Math.min(Math.floor((elapsed / 1000) * run.rate), Math.floor((run.durationMs / 1000) * run.rate));
            while (published < due) {
              const content = makePayload(published, run.contentBytes);
              published++;
              outgoing.publish('chatMsg', { username: 'bench', content }).catch(() => publishErrors++);
            }
            if (elapsed >= run.durationMs) {
              clearInterval(timer);
              resolve();
            }
          }, 5);
        });
        const expected = (published - Math.max(0, measuredFrom)) * subs.length;
        // Wait for the tail (rules queue and change stream may lag), stop when nothing arrives for 3 s.
        let quiet = 0;
        while (received < expected && quiet < 30) {
          const before = received;
          await sleep(100);
          quiet = received === before ? quiet + 1 : 0;
        }
        return { published, received, expected, latenciesMs: Float64Array.from(samples),
          toInsertMs: Float64Array.from(toInsert), afterInsertMs: Float64Array.from(afterInsert), publishErrors };
      },
      stop() {
        pub.close();
        for (const c of subs) c.close();
      },
    },
  };
});
