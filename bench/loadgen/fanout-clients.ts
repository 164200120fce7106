import { serveParent } from '../lib/proc.js';
import { nowMs, sleep } from '../lib/clock.js';
import { makePayload, scanFrame } from '../lib/payload.js';
import { openMany, openRawClient, type RawClient, type SystemKind } from '../lib/raw-clients.js';

interface Args {
  kind: SystemKind;
  url: string;
  /** Several nodes of one cluster: subscriber i connects to urls[i % n], the publisher to urls[0] (default [url]). */
  urls?: string[];
  key?: string;
  channel: string;
  subscribers: number;
  /** Subscribers that record a latency sample per message (all of them count deliveries). */
  sampled: number;
  connectConcurrency: number;
}

interface RunArgs {
  messages: number;
  payloadBytes: number;
  /** Messages in flight: published but not yet received by every sampled subscriber. */
  window: number;
  /** Messages at the start left out of the latency samples (connection warm-up). */
  warmup: number;
}

export interface FanoutRunResult {
  published: number;
  deliveries: number;
  expected: number;
  elapsedMs: number;
  latenciesMs: Float64Array;
  /** CPU time of this load generator ÷ wall time (1 = one core): near 1 means the generator, not the server, limited the run. */
  loadgenCpu: number;
}

/**
 * Load generator for the fan-out benchmark, the same code for every system: N subscribers on one channel
 * (raw `ws` clients speaking the system's protocol), one publisher. The publisher runs a closed loop: it keeps
 * `window` messages in flight, where a message is done when every sampled subscriber has it, so each system is
 * driven as fast as it can deliver and no faster (an open-loop rate would only measure queue growth).
 */
await serveParent<Args, { subscribers: number; connectMs: number }>(async (args) => {
  const sampledEvery = Math.max(1, Math.floor(args.subscribers / args.sampled));
  const received = new Float64Array(args.subscribers);
  let deliveries = 0;
  let lastDeliveryAt = 0;
  let samples: number[] = [];
  let recordFrom = 0;
  let pump = () => {};
  const sampledIdx: number[] = [];
  const { clients, elapsedMs, failures } = await openMany(args.subscribers, args.connectConcurrency, (i) => {
    const sampled = i % sampledEvery === 0 || i === args.subscribers - 1;
    if (sampled) sampledIdx.push(i);
    const urls = args.urls?.length ? args.urls : [args.url];
    return openRawClient({
      kind: args.kind,
      url: urls[i % urls.length],
      key: args.key,
      channel: args.channel,
      role: 'sub',
      onFrame: sampled
        ? (frame) => {
            const t = nowMs();
            const n = scanFrame(frame, (sentAt, seq) => {
              if (seq >= recordFrom) samples.push(t - sentAt);
            });
            received[i] += n;
            deliveries += n;
            lastDeliveryAt = t;
            pump();
          }
        : (frame) => {
            const n = scanFrame(frame);
            received[i] += n;
            deliveries += n;
            lastDeliveryAt = nowMs();
          },
    });
  });
  if (failures) throw new Error(`${failures} of ${args.subscribers} subscribers failed to connect`);
  const publisher: RawClient = await openRawClient({ kind: args.kind, url: args.url, key: args.key, channel: args.channel, role: 'pub' });
  await sleep(200); // let the last subscriptions settle before the first message

  return {
    ready: { subscribers: clients.length, connectMs: elapsedMs },
    handlers: {
      async run(run: RunArgs): Promise<FanoutRunResult> {
        received.fill(0);
        deliveries = 0;
        samples = [];
        recordFrom = run.warmup;
        let published = 0;
        const minSampled = () => {
          let min = Infinity;
          for (const i of sampledIdx) if (received[i] < min) min = received[i];
          return min;
        };
        let done: () => void = () => {};
        const finished = new Promise<void>((resolve) => (done = resolve));
        pump = () => {
          const low = minSampled();
          while (published < run.messages && published - low < run.window) {
            publisher.publish(makePayload(published, run.payloadBytes));
            published++;
          }
          if (low >= run.messages) done();
        };
        const cpu0 = process.cpuUsage();
        const started = nowMs();
        pump();
        // Stall guard: a system that drops messages would otherwise hang the loop forever.
        let lastProgress = deliveries;
        let idleTicks = 0;
        const guard = setInterval(() => {
          if (deliveries === lastProgress && ++idleTicks >= 50) done();
          if (deliveries !== lastProgress) idleTicks = 0;
          lastProgress = deliveries;
          pump();
        }, 100);
        await finished;
        // Unsampled subscribers may trail the sampled ones: wait until all deliveries arrived or stopped coming.
        const expected = run.messages * clients.length;
        let quiet = 0;
        while (deliveries < expected && quiet < 20) {
          const before = deliveries;
          await sleep(100);
          quiet = deliveries === before ? quiet + 1 : 0;
        }
        clearInterval(guard);
        pump = () => {};
        const cpu = process.cpuUsage(cpu0);
        const elapsedMs = lastDeliveryAt - started;
        return {
          published,
          deliveries,
          expected,
          elapsedMs,
          latenciesMs: Float64Array.from(samples),
          loadgenCpu: (cpu.user + cpu.system) / 1000 / elapsedMs,
        };
      },
      stop() {
        publisher.close();
        for (const c of clients) c.close();
      },
    },
  };
});
