import type { ChildProcess } from 'node:child_process';

/** A started child process: what it printed, and its end. */
export interface WatchedChild {
  /** Everything the child wrote so far (stdout + stderr). */
  output(): string;
  /** Resolves with the exit code (or the signal name) when the child ends. */
  exited: Promise<number | string>;
}

/**
 * Keeps a child's stdout and stderr and resolves once they contain `readyText`. Fails with the output so far if
 * the child exits first or is not ready within `timeoutMs`; `name` (e.g. "rowcast", "npm start") says who.
 */
export async function waitUntilReady(child: ChildProcess, readyText: string, name: string, timeoutMs: number): Promise<WatchedChild> {
  let out = '';
  const exited = new Promise<number | string>((ok) => child.on('exit', (code, signal) => ok(code ?? signal ?? -1)));
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${name} was not ready within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(readyText)) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`${name} exited (${code}) before it was ready:\n${out}`));
    });
  });
  return { output: () => out, exited };
}
