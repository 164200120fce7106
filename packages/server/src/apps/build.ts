import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Where a build records the hash of the inputs it was made from. */
const STAMP = '.rowcast-build-hash';
const LOCK_STALE_MS = 5 * 60_000;

export interface BuildSpec {
  command: string[];
  /** Absolute working directory of the build. */
  cwd: string;
  /** Absolute paths of the files/directories the output depends on. */
  inputs: string[];
  /** Absolute output directory. */
  outDir: string;
}

/**
 * Runs the build when `outDir` is missing or was built from other inputs (compared by a content hash, so a
 * fresh clone, a `git pull` and an edit all trigger it, and an unchanged tree costs one hash of the sources).
 * A lock directory keeps two starts (or two test files) from building into the same directory at once.
 * Returns whether a build ran.
 */
export async function buildIfStale(spec: BuildSpec): Promise<boolean> {
  const hash = await hashInputs(spec.cwd, spec.inputs);
  if (stampOf(spec.outDir) === hash) return false;
  const release = await acquireLock(`${spec.outDir}.build-lock`);
  try {
    if (stampOf(spec.outDir) === hash) return false; // built by whoever held the lock
    await run(spec.command, spec.cwd);
    if (!existsSync(spec.outDir)) throw new Error(`build finished but ${spec.outDir} does not exist`);
    writeFileSync(join(spec.outDir, STAMP), hash);
    return true;
  } finally {
    release();
  }
}

function stampOf(outDir: string): string | undefined {
  try {
    return readFileSync(join(outDir, STAMP), 'utf8');
  } catch {
    return undefined;
  }
}

async function hashInputs(cwd: string, inputs: string[]): Promise<string> {
  const files: string[] = [];
  for (const input of inputs) await collect(input, files);
  files.sort();
  const h = createHash('sha256');
  for (const f of files) {
    h.update(relative(cwd, f))
      .update('\0')
      .update(await readFile(f))
      .update('\0');
  }
  return h.digest('hex');
}

async function collect(path: string, out: string[]): Promise<void> {
  const s = await stat(path).catch(() => undefined);
  if (!s) return;
  if (s.isFile()) {
    out.push(path);
    return;
  }
  if (!s.isDirectory()) return;
  for (const entry of await readdir(path)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    await collect(join(path, entry), out);
  }
}

function run(command: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = command;
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000); // the tail is what explains a failure
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`build "${command.join(' ')}" in ${cwd} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

/** A directory as a lock (mkdir is atomic); a lock left by a dead process or older than 5 minutes is taken over. */
async function acquireLock(dir: string): Promise<() => void> {
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (lockIsStale(dir)) rmSync(dir, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function lockIsStale(dir: string): boolean {
  try {
    if (Date.now() - statSync(dir).mtimeMs > LOCK_STALE_MS) return true;
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    if (!pid) return false; // being created right now
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
