import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIfStale, type BuildSpec } from './build.js';

// A real build command (node writing a file and counting its runs), so staleness and locking are tested for real.
let dir: string;
let spec: BuildSpec;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rowcast-build-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'a.txt'), 'one');
  const script = `const fs=require('fs');fs.mkdirSync('out',{recursive:true});fs.writeFileSync('out/index.html',fs.readFileSync('src/a.txt'));fs.appendFileSync('runs','x')`;
  spec = { command: [process.execPath, '-e', script], cwd: dir, inputs: [join(dir, 'src')], outDir: join(dir, 'out') };
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const runs = () => (existsSync(join(dir, 'runs')) ? readFileSync(join(dir, 'runs'), 'utf8').length : 0);

describe('buildIfStale', () => {
  it('builds when the output is missing, not again while the inputs are unchanged, and again after an edit', async () => {
    expect(await buildIfStale(spec)).toBe(true);
    expect(readFileSync(join(dir, 'out', 'index.html'), 'utf8')).toBe('one');
    expect(await buildIfStale(spec)).toBe(false);
    writeFileSync(join(dir, 'src', 'a.txt'), 'two');
    expect(await buildIfStale(spec)).toBe(true);
    expect(readFileSync(join(dir, 'out', 'index.html'), 'utf8')).toBe('two');
    expect(runs()).toBe(2);
  });

  it('builds once when two starts ask at the same time', async () => {
    const results = await Promise.all([buildIfStale(spec), buildIfStale(spec)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(runs()).toBe(1);
  });

  it('reports a failing build with its output', async () => {
    const failing = { ...spec, command: [process.execPath, '-e', 'console.error("syntax trouble"); process.exit(3)'] };
    await expect(buildIfStale(failing)).rejects.toThrow(/exit 3[\s\S]*syntax trouble/);
    expect(existsSync(`${spec.outDir}.build-lock`)).toBe(false);
  });
});
