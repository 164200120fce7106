import { Session } from 'node:inspector/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * CPU profiling of a measured window only (not start-up, module loading or shutdown), through the inspector
 * protocol in the profiled process itself. Same format as `node --cpu-prof`.
 */
export class WindowProfiler {
  private session?: Session;

  async start(): Promise<void> {
    this.session = new Session();
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: 500 });
    await this.session.post('Profiler.start');
  }

  /** Stops, writes the profile to `file`, returns its path. */
  async stop(file: string): Promise<string> {
    if (!this.session) throw new Error('profiler not started');
    const { profile } = await this.session.post('Profiler.stop');
    this.session.disconnect();
    this.session = undefined;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(profile));
    return file;
  }
}
