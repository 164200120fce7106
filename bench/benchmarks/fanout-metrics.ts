import { startChild } from '../lib/proc.js';
import { BENCH_KEY_STRING, measureWindow, startRowcast } from '../lib/rowcast.js';
import { fmt, median, summarize } from '../lib/stats.js';
import { ratio, type Benchmark } from '../lib/benchmark.js';
import type { FanoutRunResult } from '../loadgen/fanout-clients.js';

type Mode = 'on' | 'off';

const LABELS: Record<Mode, string> = {
  on: 'metrics on: /metrics enabled and scraped every second, stats written every second',
  off: 'metrics off: /metrics disabled, no scrape, stats written once a minute',
};

/**
 * Issue 13: the cost of observing. The fan-out benchmark's load on two Rowcast configurations in the same run,
 * alternating: /metrics enabled and scraped every second with stats flushed every second, against /metrics off.
 * The core's counters are plain integer increments present in both (they cannot be switched off); what differs is
 * everything that reads them.
 */
export const fanoutMetrics: Benchmark = {
  name: 'fanout-metrics',
  description: 'fan-out with /metrics scraped every second vs metrics off (issue 13: within 5%)',
  async run(ctx) {
    const size = ctx.smoke ? { subscribers: 50, messages: 300, rounds: 2 } : { subscribers: 1000, messages: 3000, rounds: 3 };
    const payloadBytes = 200;
    const window = ctx.smoke ? 8 : 16;
    const sampled = 20;
    const results = new Map<Mode, { perSec: number[]; latencies: number[]; scrapes: number }>();
    for (let round = 0; round < size.rounds; round++) {
      const order: Mode[] = round % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
      for (const mode of order) {
        const config = mode === 'on' ? { metrics: { enabled: true }, stats: { flushIntervalMs: 1000 } } : { stats: { flushIntervalMs: 60_000 } };
        const server = await startRowcast(config, { cpuProfDir: ctx.profileDir, profileLabel: `fanout-metrics-${mode}` });
        const gen = await startChild<{ subscribers: number }>('loadgen/fanout-clients.ts', {
          args: {
            kind: 'rowcast',
            url: `ws://127.0.0.1:${server.ready.port}`,
            key: BENCH_KEY_STRING,
            channel: 'fanout',
            subscribers: size.subscribers,
            sampled,
            connectConcurrency: 100,
          },
        });
        const r = results.get(mode) ?? { perSec: [], latencies: [], scrapes: 0 };
        results.set(mode, r);
        let scraper: NodeJS.Timeout | undefined;
        try {
          if (mode === 'on') {
            scraper = setInterval(() => {
              fetch(`http://127.0.0.1:${server.ready.port}/metrics`)
                .then((res) => res.text())
                .then(
                  () => r.scrapes++,
                  () => undefined,
                );
            }, 1000);
          }
          const run = await measureWindow(server, () =>
            gen.call<FanoutRunResult>('run', { messages: size.messages, payloadBytes, window, warmup: Math.floor(size.messages / 10) }),
          );
          r.perSec.push((run.deliveries / run.elapsedMs) * 1000);
          r.latencies.push(...run.latenciesMs);
          console.log(
            `fanout-metrics ${mode} round ${round + 1}: ${fmt(r.perSec.at(-1)!)} deliveries/s, ${run.deliveries}/${run.expected} delivered`,
          );
        } finally {
          clearInterval(scraper);
          await gen.stop();
          await server.stop();
        }
      }
    }
    const on = results.get('on')!;
    const off = results.get('off')!;
    const onPerSec = median(on.perSec);
    const offPerSec = median(off.perSec);
    const row = (mode: Mode) => {
      const r = results.get(mode)!;
      const lat = summarize(r.latencies);
      return [LABELS[mode], fmt(median(r.perSec)), r.perSec.map(fmt).join(', '), fmt(lat.p50), fmt(lat.p99), mode === 'on' ? String(r.scrapes) : '-'];
    };
    return {
      name: 'fanout-metrics',
      title: 'Fan-out with metrics on vs off',
      smoke: ctx.smoke,
      setup: [
        `${size.subscribers} subscribers on one channel, ${size.messages} messages of ${payloadBytes} bytes, ${size.rounds} round(s) per mode, order alternated per round`,
        'Same load generator as `fanout` (raw protocol v6 clients, closed loop); Rowcast memory engine, default settings otherwise',
        'On: `metrics.enabled`, GET /metrics every second during the window (prom-client collect callbacks read the counters), `stats.flushIntervalMs` 1000',
      ],
      table: {
        headers: ['Configuration', 'Deliveries/s (median)', 'Per round', 'p50 ms', 'p99 ms', 'Scrapes'],
        rows: [row('on'), row('off')],
      },
      charts: [],
      goals: [{ goal: 'Deliveries/s with metrics on ≥ 0.95x metrics off', measured: ratio(onPerSec, offPerSec), met: onPerSec >= 0.95 * offPerSec }],
      raw: { size, payloadBytes, window, sampled, on, off },
    };
  },
};
