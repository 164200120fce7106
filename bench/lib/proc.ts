import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A benchmark process (server, peer or load generator) driven over IPC. */
export interface ChildHandle<Ready> {
  /** What the child reported when it was ready (ports, pids...). */
  ready: Ready;
  pid: number;
  /** Runs a command in the child and resolves with its result. */
  call<T = unknown>(cmd: string, args?: unknown): Promise<T>;
  /** Asks the child to stop (so --cpu-prof profiles are written), then kills it if it does not. */
  stop(): Promise<void>;
}

export interface ChildOptions {
  /** Arguments handed to the child's init function. */
  args?: unknown;
  /** Extra node flags, e.g. `--expose-gc`. */
  nodeFlags?: string[];
  /** Directory to write a `--cpu-prof` profile into (profiling the child). */
  cpuProfDir?: string;

  /** Drop the child's stdout (servers that log every request). */
  quietStdout?: boolean;
  /** How long the child may take to become ready (default 180 s). */
  readyTimeoutMs?: number;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/**
 * Forks `modulePath` (relative to bench/, a .ts file run through tsx) as a separate process, waits until it
 * reports ready and returns a handle. Load generators and servers always run in separate processes so a
 * generator never competes with the server inside one event loop.
 */
export function startChild<Ready>(modulePath: string, opts: ChildOptions = {}): Promise<ChildHandle<Ready>> {
  const file = fileURLToPath(new URL(`../${modulePath}`, import.meta.url));
  const execArgv = ['--import', 'tsx', ...(opts.nodeFlags ?? [])];
  if (opts.cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
  const child = fork(file, [], {
    execArgv,
    env: { ...process.env, BENCH_CHILD_ARGS: JSON.stringify(opts.args ?? {}) },
    stdio: ['ignore', opts.quietStdout ? 'ignore' : 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  live.add(child);
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('exit', (code, signal) => {
    live.delete(child);
    for (const p of pending.values()) p.reject(new Error(`${modulePath} exited (${code ?? signal})`));
    pending.clear();
  });
  return new Promise((resolve, reject) => {
    const onEarlyExit = (code: number | null) => reject(new Error(`${modulePath} exited with ${code} before it was ready`));
    child.once('exit', onEarlyExit);
    const readyTimer = setTimeout(() => {
      reject(new Error(`${modulePath} was not ready within ${(opts.readyTimeoutMs ?? 180_000) / 1000} s`));
      child.kill('SIGKILL');
    }, opts.readyTimeoutMs ?? 180_000);
    child.on('message', (raw) => {
      const msg = raw as { type: string; id?: number; value?: unknown; error?: string };
      if (msg.type === 'ready') {
        child.off('exit', onEarlyExit);
        clearTimeout(readyTimer);
        resolve({
          ready: msg.value as Ready,
          pid: child.pid!,
          call<T>(cmd: string, args?: unknown): Promise<T> {
            const id = nextId++;
            return new Promise<T>((res, rej) => {
              pending.set(id, { resolve: res as (v: unknown) => void, reject: rej });
              child.send({ id, cmd, args });
            });
          },
          async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return;
            child.send({ id: 0, cmd: '__stop' });
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            await exited;
            clearTimeout(timer);
          },
        });
      } else if (msg.type === 'init-error') {
        clearTimeout(readyTimer);
        reject(new Error(`${modulePath}: ${msg.error}`));
      } else if (msg.type === 'result' && msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (!p) return;
        if (msg.error) p.reject(new Error(`${modulePath}: ${msg.error}`));
        else p.resolve(msg.value);
      }
    });
  });
}

/** Commands a child answers; `stop` runs before the child exits. */
export type Handlers = Record<string, (args: any) => unknown | Promise<unknown>> & { stop?: () => unknown };

/**
 * The child side: runs `init` with the parent's arguments, reports its result as ready, then answers commands.
 * On `__stop` it runs `handlers.stop` and exits normally (a normal exit is what writes a --cpu-prof profile).
 */
export async function serveParent<Args, Ready>(init: (args: Args) => Promise<{ ready: Ready; handlers: Handlers }>): Promise<void> {
  const args = JSON.parse(process.env.BENCH_CHILD_ARGS ?? '{}') as Args;
  let handlers: Handlers;
  try {
    const started = await init(args);
    handlers = started.handlers;
    process.send!({ type: 'ready', value: started.ready });
  } catch (err) {
    process.send!({ type: 'init-error', error: (err as Error).stack ?? String(err) });
    process.exit(1);
  }
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (raw) => {
    const msg = raw as { id: number; cmd: string; args: unknown };
    if (msg.cmd === '__stop') {
      try {
        await handlers.stop?.();
      } finally {
        process.exit(0);
      }
    }
    try {
      const fn = handlers[msg.cmd];
      if (!fn) throw new Error(`unknown command ${msg.cmd}`);
      const value = await fn(msg.args);
      process.send!({ type: 'result', id: msg.id, value });
    } catch (err) {
      process.send!({ type: 'result', id: msg.id, error: (err as Error).stack ?? String(err) });
    }
  });
}

/** CPU time this process has used so far, user + system, in µs. */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
