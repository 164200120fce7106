import { Session } from 'node:inspector/promises';
import { findSourceMap, type SourceMap } from 'node:module';
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
    toOriginalPositions(profile.nodes);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(profile));
    return file;
  }
}

/**
 * tsx hands V8 minified one-line code, so profile positions are columns of line 0. With --enable-source-maps
 * Node keeps each module's source map: rewrite every call frame to its TypeScript line and column.
 */
function toOriginalPositions(nodes: Array<{ callFrame: { url: string; lineNumber: number; columnNumber: number } }>): void {
  const maps = new Map<string, SourceMap | undefined>();
  for (const { callFrame: f } of nodes) {
    if (!f.url.startsWith('file://') || f.lineNumber < 0) continue;
    if (!maps.has(f.url)) maps.set(f.url, findSourceMap(f.url));
    const entry = maps.get(f.url)?.findEntry(f.lineNumber, f.columnNumber) as { originalLine?: number; originalColumn?: number } | undefined;
    if (entry?.originalLine !== undefined) {
      f.lineNumber = entry.originalLine;
      f.columnNumber = entry.originalColumn ?? 0;
    }
  }
}
