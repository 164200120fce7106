import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { renderCdfSvg, type CdfSeries } from './cdf-svg.js';

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));

/** A goal from the issue, and whether this run met it (`null`: not measurable in this run). */
export interface GoalCheck {
  goal: string;
  measured: string;
  met: boolean | null;
}

/** A latency distribution to draw as a CDF chart. */
export interface ChartSpec {
  /** File name stem, e.g. `db-path-latency` (written as `<stem>.svg`). */
  file: string;
  title: string;
  unit: string;
  series: CdfSeries[];
}

/** What one benchmark produced: a table for people, goals, charts, and the raw numbers for machines. */
export interface BenchResult {
  name: string;
  title: string;
  /** Setup lines: messages, sizes, connections, rates, client kind. */
  setup: string[];
  table: { headers: string[]; rows: string[][] };
  goals: GoalCheck[];
  charts: ChartSpec[];
  raw: unknown;
  smoke: boolean;
  /** Markdown sections summarising CPU profiles of this run (with --profile). */
  profiles?: string[];
  /** 1-minute load average of the machine when the benchmark started and ended (others' work shares the cores). */
  load?: { start: number; end: number };
}

/** Where results go: committed files for full runs, an ignored directory for smoke runs. */
export function resultsDir(smoke: boolean): string {
  const dir = smoke ? join(BENCH_DIR, 'results', 'smoke') : join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Renders the markdown of a result; the hand-written analysis in bench/notes/<name>.md is appended. */
export function renderMarkdown(r: BenchResult): string {
  const lines: string[] = [];
  lines.push(`# ${r.title}${r.smoke ? ' (smoke size: not a measurement)' : ''}`, '');
  const load = r.load
    ? ` Machine load (1-min average) ${r.load.start.toFixed(1)} at the start, ${r.load.end.toFixed(1)} at the end: other work shared the ${cpus().length} cores.`
    : '';
  lines.push(`Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}.${load}`, '');
  lines.push('Setup:', ...r.setup.map((s) => `- ${s}`), '');
  lines.push(`| ${r.table.headers.join(' | ')} |`, `|${r.table.headers.map(() => '---').join('|')}|`);
  for (const row of r.table.rows) lines.push(`| ${row.join(' | ')} |`);
  lines.push('');
  if (r.goals.length) {
    lines.push('| Goal | Measured | Met |', '|---|---|---|');
    for (const g of r.goals) lines.push(`| ${g.goal} | ${g.measured} | ${g.met === null ? 'n/a' : g.met ? 'yes' : '**no**'} |`);
    lines.push('');
  }
  for (const c of r.charts) lines.push(`![${c.title}](${c.file}.svg)`, '');
  lines.push(`Raw numbers: [${r.name}.json](${r.name}.json).`, '');
  for (const p of r.profiles ?? []) lines.push(p.trim(), '');
  const notes = join(BENCH_DIR, 'notes', `${r.name}.md`);
  if (!r.smoke && existsSync(notes)) lines.push(readFileSync(notes, 'utf8').trim(), '');
  return lines.join('\n');
}

/** Prints the result's markdown and writes `<name>.md`, `<name>.json` and the charts; refreshes the index. */
export function writeResult(r: BenchResult): string {
  const dir = resultsDir(r.smoke);
  const md = renderMarkdown(r);
  writeFileSync(join(dir, `${r.name}.md`), md);
  writeFileSync(
    join(dir, `${r.name}.json`),
    JSON.stringify(
      {
        name: r.name,
        title: r.title,
        date: new Date().toISOString(),
        node: process.version,
        cpus: cpus().length,
        load: r.load,
        setup: r.setup,
        table: r.table,
        goals: r.goals,
        charts: r.charts,
        raw: r.raw,
      },
      null,
      1,
    ) + '\n',
  );
  for (const c of r.charts) writeFileSync(join(dir, `${c.file}.svg`), renderCdfSvg(c.title, c.unit, c.series));
  writeIndex(dir);
  console.log('\n' + md);
  return md;
}

/**
 * bench/results/README.md: one line per benchmark with its goals, linking the latest table. Goals written in
 * parentheses are context or diagnostics, not the goals, and are not counted.
 */
export function writeIndex(dir: string): void {
  const entries = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const lines = [
    '# Benchmark results',
    '',
    'Latest run of each benchmark (`npm run bench -- NAME`); every figure is a',
    'ratio against a peer measured in the same run on the same machine. See bench/README.md for how they are run.',
    '',
    '| Benchmark | Run | Goals met |',
    '|---|---|---|',
  ];
  for (const f of entries) {
    try {
      const j = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { name: string; title: string; date: string; goals: GoalCheck[] };
      const goals = j.goals.filter((g) => !g.goal.startsWith('('));
      const met = goals.filter((g) => g.met === true).length;
      const judged = goals.filter((g) => g.met !== null).length;
      lines.push(`| [${j.title}](${j.name}.md) | ${j.date.slice(0, 16).replace('T', ' ')} UTC | ${met} of ${judged} |`);
    } catch {
      // a half-written file from an interrupted run: leave it out of the index
    }
  }
  writeFileSync(join(dir, 'README.md'), lines.join('\n') + '\n');
}
