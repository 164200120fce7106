import { pino } from 'pino';
import { parseConfig, startServer } from '@rowcast/server';
import { serveParent } from './proc.js';
import { nowMs } from './clock.js';
import { WindowProfiler } from './inspector-profile.js';
import { settledMemory } from './memory.js';
import { startTriggerCapture, type TriggerCaptureOptions } from '../peers/trigger-capture.js';
import { cpuMicros } from './proc.js';

export interface RowcastServerArgs {
  /** Rowcast configuration (keys, database, rules, connector...), as a config file would hold it. */
  config: Record<string, unknown>;
  /** Directory relative paths in the config (rule modules) resolve against. */
  configDir: string;
  /**
   * The DB-path peer: the original connector's capture (row trigger + pg_notify + LISTEN, one control-table
   * lookup per notification) running inside this server process and publishing into its engine in-process.
   */
  triggerCapture?: TriggerCaptureOptions;
  /**
   * Count messages accepted on this channel (an accepted hook: the moment of "channel publish"), answered by
   * the `counter` command; for the change-stream benchmark, which needs no subscriber to see the publish.
   */
  countChannel?: string;
}

/**
 * Child process running one Rowcast server exactly as `rowcast start` composes it (`parseConfig` +
 * `startServer` from @rowcast/server), logging only warnings. Answers `memory` (settled RSS).
 */
await serveParent<RowcastServerArgs, { port: number }>(async (args) => {
  const config = parseConfig(args.config, 'benchmark config');
  const logger = pino({ level: process.env.BENCH_ROWCAST_LOG ?? 'warn' });
  const server = await startServer(config, { logger, configDir: args.configDir });
  const capture = args.triggerCapture ? await startTriggerCapture(args.triggerCapture, server.node) : undefined;
  const counter = { count: 0, firstAt: 0, lastAt: 0 };
  const profiler = new WindowProfiler();
  if (args.countChannel) {
    server.node.onAccepted((event) => {
      if (event.kind !== 'message' || event.channel !== args.countChannel) return;
      const t = nowMs();
      if (counter.count === 0) counter.firstAt = t;
      counter.count += event.messages.length;
      counter.lastAt = t;
    });
  }
  return {
    ready: { port: server.port },
    handlers: {
      memory: () => settledMemory(),
      counter: () => ({ ...counter }),
      /** CPU time this process has used (µs, user + system): what its capture costs the shared cores. */
      cpu: () => cpuMicros(),
      profile_start: () => profiler.start(),
      profile_stop: (a: { file: string }) => profiler.stop(a.file),
      async stop() {
        await capture?.stop();
        await server.close();
      },
    },
  };
});
