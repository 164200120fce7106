import * as Ably from 'ably';
import pg from 'pg';
import { serveParent } from '../lib/proc.js';
import { nowMs, sleep } from '../lib/clock.js';
import { makePayload, parsePayload, scanFrame } from '../lib/payload.js';
import { openMany, openRawClient, type RawClient } from '../lib/raw-clients.js';

interface Args {
  port: number;
  key: string;
  /** Real `ably` SDK subscribers: the latency samples come from them. */
  sdkSubscribers: number;
  /** Raw protocol subscribers (JSON frames, byte-scanned): more connections for the server to fan out to. */
  rawSubscribers: number;
  subscribeChannel: string;
  publishChannel: string;
  /** SDK wire format: false JSON, true msgpack (the Node SDK's default). */
  useBinaryProtocol: boolean;
  /** For `via: 'insert'` runs: the database holding chat_data. */
  databaseUrl?: string;
}

interface RunArgs {
  rate: number;
  durationMs: number;
  /** Messages published in the first `warmupMs` are left out of the samples. */
  warmupMs: number;
  contentBytes: number;
  /** Longest wait for stragglers after the last publish. */
  tailMs: number;
  /**
   * `rule`: publish chat messages on the publish channel (the whole path). `insert`: INSERT the chat_data rows
   * directly, as the chat function would (capture + fan-out only).
   */
  via: 'rule' | 'insert';
}

export interface SdkLatencyResult {
  published: number;
  /** Receipts of measured messages over all subscribers (SDK and raw). */
  received: number;
  expected: number;
  /** Publish-to-receive at the SDK subscribers. */
  latenciesMs: Float64Array;
  /** Stage split: publish -> row inserted (rule queue + function), and row inserted -> received (capture + fan-out). */
  toInsertMs: Float64Array;
  afterInsertMs: Float64Array;
  /** Publish to the server's accept time (the message timestamp, which the chat function stores). */
  toAcceptMs: Float64Array;
  /** Publishes that the server refused (NACK) or that failed. */
  publishErrors: number;
  /** Messages SDK subscriber 0 received per second, first to last receipt: the rate the path sustained. */
  sustainedPerSec: number;
  /** CPU time of this load generator ÷ wall time of the run (1 = one core busy): ~1 means it limited the run. */
  loadgenCpu: number;
}

function sdkClient(args: Args, clientId: string): Ably.Realtime {
  return new Ably.Realtime({
    key: args.key,
    clientId,
    endpoint: '127.0.0.1',
    port: args.port,
    tls: false,
    useBinaryProtocol: args.useBinaryProtocol,
    echoMessages: false,
    logLevel: 0,
  });
}

/**
 * Load generator for the DB-driven path: real `ably` SDK subscribers (plus raw protocol subscribers, so the
 * server fans out to the full count without this process decoding every copy through the SDK) on
 * `incoming-chat`, and one SDK publisher sending chat messages (`chatMsg`, `{username, content}`, as the chat
 * app does) on `outgoing-chat` at a fixed rate (open loop: the "500 msg/s" is the offered load).
 * A subscriber receives the connector's message (JSON text `{table, type, row}`) and finds the publish time
 * in `row.msg_data`.
 */
await serveParent<Args, { subscribers: number }>(async (args) => {
  let recordFrom = Infinity;
  let samples: number[] = [];
  let toInsert: number[] = [];
  let afterInsert: number[] = [];
  let toAccept: number[] = [];
  let received = 0;
  /** Every receipt, warm-up included: what "still arriving" is judged on. */
  let arrivals = 0;
  let firstAt = 0;
  let lastAt = 0;
  const onSdkMessage = (msg: Ably.InboundMessage, subscriber: number) => {
    const t = nowMs();
    arrivals++;
    if (subscriber === 0) {
      if (!firstAt) firstAt = t;
      lastAt = t;
    }
    const text = typeof msg.data === 'string' ? msg.data : JSON.stringify(msg.data);
    const change = JSON.parse(text) as { row?: { msg_data?: string; inserted_at?: number; created_at_timestamp?: number } };
    const p = parsePayload(change.row?.msg_data ?? '');
    if (p && p.seq >= recordFrom) {
      samples.push(t - p.sentAt);
      const insertedAt = Number(change.row?.inserted_at);
      if (Number.isFinite(insertedAt)) {
        toInsert.push(insertedAt - p.sentAt);
        afterInsert.push(t - insertedAt);
      }
      // whole milliseconds (Date.now() on the server), good enough to split a path of several
      const acceptedAt = Number(change.row?.created_at_timestamp);
      if (Number.isFinite(acceptedAt)) toAccept.push(acceptedAt - p.sentAt);
      received++;
    }
  };
  const sdkSubs: Ably.Realtime[] = [];
  for (let i = 0; i < args.sdkSubscribers; i++) sdkSubs.push(sdkClient(args, `bench-sub-${i}`));
  await Promise.all(sdkSubs.map((c, i) => c.channels.get(args.subscribeChannel).subscribe((m) => onSdkMessage(m, i))));
  const raw = await openMany(args.rawSubscribers, 50, () =>
    openRawClient({
      kind: 'rowcast',
      url: `ws://127.0.0.1:${args.port}`,
      key: args.key,
      channel: args.subscribeChannel,
      role: 'sub',
      onFrame: (frame) => {
        scanFrame(frame, (_sentAt, seq) => {
          arrivals++;
          if (seq >= recordFrom) received++;
        });
      },
    }),
  );
  if (raw.failures) throw new Error(`${raw.failures} raw subscribers failed to connect`);
  const rawSubs: RawClient[] = raw.clients;
  const subscribers = sdkSubs.length + rawSubs.length;
  const pub = sdkClient(args, 'bench-publisher');
  const outgoing = pub.channels.get(args.publishChannel);
  await outgoing.attach();
  // Four connections, like the chat function's pool; queries queue in the pool rather than wait on each other.
  const pool = args.databaseUrl ? new pg.Pool({ connectionString: args.databaseUrl, max: 4 }) : undefined;
  const insertRow = (seq: number, content: string) =>
    pool!.query(`INSERT INTO chat_data (username, msg_id, msg_data, client_id, created_at_timestamp, is_edited) VALUES ($1, $2, $3, $4, $5, false)`, [
      'bench',
      `bench-${seq}`,
      content,
      'bench-publisher',
      Date.now(),
    ]);
  await sleep(300);
  return {
    ready: { subscribers },
    handlers: {
      async run(run: RunArgs): Promise<SdkLatencyResult> {
        samples = [];
        toInsert = [];
        afterInsert = [];
        toAccept = [];
        received = 0;
        arrivals = 0;
        firstAt = 0;
        lastAt = 0;
        let published = 0;
        let publishErrors = 0;
        let measuredFrom = -1;
        const cpu0 = process.cpuUsage();
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
              const sent = run.via === 'insert' ? insertRow(published, content) : outgoing.publish('chatMsg', { username: 'bench', content });
              published++;
              sent.catch(() => publishErrors++);
            }
            if (elapsed >= run.durationMs) {
              clearInterval(timer);
              resolve();
            }
          }, 5);
        });
        const expected = (published - Math.max(0, measuredFrom)) * subscribers;
        const publishedAt = nowMs();
        // Wait for the tail (rules queue and change stream may lag behind the offered rate), up to `tailMs`,
        // and stop early when nothing at all arrives for 5 s.
        let quiet = 0;
        while (received < expected && quiet < 50 && nowMs() - publishedAt < run.tailMs) {
          const before = arrivals;
          await sleep(100);
          quiet = arrivals === before ? quiet + 1 : 0;
        }
        const cpu = process.cpuUsage(cpu0);
        return {
          published,
          received,
          expected,
          publishErrors,
          latenciesMs: Float64Array.from(samples),
          toInsertMs: Float64Array.from(toInsert),
          afterInsertMs: Float64Array.from(afterInsert),
          toAcceptMs: Float64Array.from(toAccept),
          sustainedPerSec: lastAt > firstAt ? ((sdkSubs.length ? arrivals / subscribers : 0) / (lastAt - firstAt)) * 1000 : NaN,
          loadgenCpu: (cpu.user + cpu.system) / 1000 / (nowMs() - started),
        };
      },
      async stop() {
        await pool?.end();
        pub.close();
        for (const c of sdkSubs) c.close();
        for (const c of rawSubs) c.close();
      },
    },
  };
});
