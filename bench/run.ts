import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeResult } from './lib/report.js';
import { profileMarkdown, profilesSince, summarizeProfile } from './lib/profile-summary.js';
import type { Benchmark } from './lib/benchmark.js';
import { dbPath } from './benchmarks/db-path.js';
import { fanout } from './benchmarks/fanout.js';
import { fanoutCluster } from './benchmarks/fanout-cluster.js';
import { fanoutMetrics } from './benchmarks/fanout-metrics.js';
import { connections } from './benchmarks/connections.js';
import { changeStream } from './benchmarks/change-stream.js';
import { writePath } from './benchmarks/write-path.js';
import { rulesIdle } from './benchmarks/rules-idle.js';
import { historyPage } from './benchmarks/history-page.js';
import { chatApi } from './benchmarks/chat-api.js';

/** Every benchmark, in the order `npm run bench` runs them. */
const BENCHMARKS: Benchmark[] = [dbPath, fanout, fanoutCluster, fanoutMetrics, writePath, changeStream, connections, rulesIdle, historyPage, chatApi];

/**
 * `npm run bench [-- NAME...] [--smoke] [--profile]`. Runs the named benchmarks (all by default) one after
 * another, prints each table and writes bench/results/<name>.{md,json,svg} (smoke runs: bench/results/smoke/).
 * `--profile` CPU-profiles the Rowcast servers during each measured window and appends a self-time summary.
 */
async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const smoke = argv.includes('--smoke') || process.env.BENCH_SMOKE === '1';
  const profile = argv.includes('--profile');
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length || argv.includes('--help')) {
    console.log(
      `usage: npm run bench -- [NAME...] [--smoke] [--profile]\nbenchmarks:\n${BENCHMARKS.map((b) => `  ${b.name.padEnd(14)} ${b.description}`).join('\n')}`,
    );
    process.exit(unknown.length ? 2 : 0);
  }
  const chosen = names.length ? BENCHMARKS.filter((b) => names.includes(b.name)) : BENCHMARKS;
  let failed = 0;
  for (const b of chosen) {
    const started = Date.now();
    console.log(`== ${b.name}${smoke ? ' (smoke)' : ''}: ${b.description}`);
    try {
      let profileDir: string | undefined;
      if (profile) {
        profileDir = join(fileURLToPath(new URL('.', import.meta.url)), 'results', 'profiles', b.name);
        mkdirSync(profileDir, { recursive: true });
      }
      const loadAtStart = loadavg()[0];
      const result = await b.run({ smoke, profileDir });
      result.load = { start: loadAtStart, end: loadavg()[0] };
      if (profileDir) {
        result.profiles = profilesSince(profileDir, started).map((p) => profileMarkdown(p.label, summarizeProfile(p.file)));
      }
      writeResult(result);
    } catch (err) {
      failed++;
      console.error(`${b.name} failed:`, err);
    }
    console.log(`== ${b.name} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  process.exit(failed ? 1 : 0);
}

await main();
