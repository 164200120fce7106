import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/** Self time of one function, or of one code area (a package, a library, Node internals, GC, idle). */
export interface ProfileEntry {
  name: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Share of samples that were not idle. */
  busyShare: number;
  topFunctions: ProfileEntry[];
  areas: ProfileEntry[];
}

/** The code area a script URL belongs to: `@rowcast/<pkg>`, an npm package, Node internals, or a special node. */
function areaOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const pkg = /\/packages\/([^/]+)\//.exec(url);
  if (pkg) return `@rowcast/${pkg[1]}`;
  const mod = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (mod) return mod[1];
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/bench/')) return 'bench harness';
  return url.replace(/^file:\/\//, '');
}

/**
 * Summarises a `--cpu-prof` profile by self time: the top functions and the share per code area. This is
 * what the results files quote under "where the time goes".
 */
export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const totalMs = (p.endTime - p.startTime) / 1000;
  const totalSamples = p.samples.length || 1;
  const perSample = totalMs / totalSamples;
  const fnSelf = new Map<string, number>();
  const areaSelf = new Map<string, number>();
  let idle = 0;
  for (const n of p.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') idle += hits;
    const short = url ? url.replace(/^.*\/(packages|node_modules)\//, '$1/').replace(/^file:\/\//, '') : '';
    const key = `${functionName || '(anonymous)'} ${short ? `${short}:${lineNumber + 1}` : ''}`.trim();
    fnSelf.set(key, (fnSelf.get(key) ?? 0) + hits);
    const area = areaOf(url, functionName);
    areaSelf.set(area, (areaSelf.get(area) ?? 0) + hits);
  }
  const busy = totalSamples - idle || 1;
  const rank = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .filter(([k]) => k !== '(idle)' && !k.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, hits]) => ({ name, selfMs: hits * perSample, share: hits / busy }));
  return { file, totalMs, busyShare: busy / totalSamples, topFunctions: rank(fnSelf, top), areas: rank(areaSelf, 12) };
}

/** Profiles (`<label>-<ms>.cpuprofile`) written into `dir` since `sinceMs`, oldest first, with their labels. */
export function profilesSince(dir: string, sinceMs: number): Array<{ label: string; file: string }> {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => ({ f, file: join(dir, f) }))
    .map(({ f, file }) => ({ label: f.replace(/-\d+\.cpuprofile$/, ''), file, mtime: statSync(file).mtimeMs }))
    .filter((p) => p.mtime >= sinceMs)
    .sort((a, b) => a.mtime - b.mtime)
    .map(({ label, file }) => ({ label, file }));
}

/** Markdown for a profile summary: the busy share, code areas and top functions by self time. */
export function profileMarkdown(label: string, s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [
    `### CPU profile: ${label}`,
    '',
    `${(s.totalMs / 1000).toFixed(1)} s profiled, busy ${pct(s.busyShare)} of it. Self time of busy samples:`,
    '',
    '| Code area | Self ms | Share |',
    '|---|---|---|',
    ...s.areas.map((a) => `| ${a.name} | ${a.selfMs.toFixed(0)} | ${pct(a.share)} |`),
    '',
    '| Function | Self ms | Share |',
    '|---|---|---|',
    ...s.topFunctions.map((f) => `| \`${f.name}\` | ${f.selfMs.toFixed(0)} | ${pct(f.share)} |`),
    '',
  ];
  return lines.join('\n');
}
