import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './ports.ts';
import { until } from './rowcast.ts';

/**
 * A redis-server of a test's own, on a free port of 127.0.0.1, for tests that stop and restart Redis under
 * running nodes (the shared REDIS_URL server must stay up for the other test files).
 */
export class TestRedisServer {
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    /** redis-server options besides port and bind (persistence, directory). */
    private readonly options: string[],
    /** A configuration file to start from (a Sentinel needs one it can rewrite). */
    private readonly configFile?: string,
  ) {}

  /** A server on a free port, not started yet; `configFile` comes first on its command line. */
  static async create(options: string[], configFile?: string): Promise<TestRedisServer> {
    return new TestRedisServer(await freePort(), options, configFile);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the server (again), with `extra` options this time (e.g. `--replicaof`), and resolves once it accepts connections. */
  async start(extra: string[] = []): Promise<void> {
    const args = [...(this.configFile ? [this.configFile] : []), '--port', String(this.port), '--bind', '127.0.0.1', ...this.options, ...extra];
    this.child = spawn('redis-server', args, { stdio: 'ignore' });
    const probe = new Redis({ port: this.port, lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: null });
    probe.on('error', () => {});
    try {
      await until(() => {
        if (probe.status === 'ready') return true;
        void probe.connect().catch(() => {});
        return false;
      }, 'redis-server to accept connections');
    } finally {
      probe.disconnect();
    }
  }

  /** SIGKILL, as a crash; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((ok) => child.once('exit', ok));
    child.kill('SIGKILL');
    await exited;
  }
}
