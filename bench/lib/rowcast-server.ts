import { pino } from 'pino';
import { parseConfig, startServer } from '@rowcast/server';
import { serveParent } from './proc.js';
import { settledMemory } from './memory.js';
import { startTriggerCapture, type TriggerCaptureOptions } from '../peers/trigger-capture.js';

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
  return {
    ready: { port: server.port },
    handlers: {
      memory: () => settledMemory(),
      async stop() {
        await capture?.stop();
        await server.close();
      },
    },
  };
});
