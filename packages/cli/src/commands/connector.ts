import type { Command } from 'commander';
import { pino } from 'pino';
import { ConnectorConfigError, ConnectorSetupError, loadConnectorConfig, PostgresConnector, restPublisher } from '@rowcast/connector-postgres';

/**
 * `rowcast connector --config FILE`: the PostgreSQL change stream on its own, publishing through the REST API of
 * any Ably-compatible endpoint (a Rowcast instance, or the hosted service when no endpoint is given) with a key.
 * FILE is the original connector's JSON or .env file; without it the environment is read (DB_*, ABLY_*).
 */
export function registerConnectorCommand(program: Command): void {
  program
    .command('connector')
    .description('stream PostgreSQL row changes to channels (logical replication) through a REST endpoint')
    .option('-c, --config <file>', 'connector config: the JSON file or .env file of ably-postgres-connector')
    .option('--endpoint <url>', 'where to publish, e.g. http://127.0.0.1:8080 (default: ABLY_ENDPOINT, else hosted Ably)')
    .option('--key <key>', 'API key to publish with (default: ably.apiKey / ABLY_API_KEY)')
    .option('--slot <name>', 'replication slot (default: slotName / CONNECTOR_SLOT_NAME / rowcast_connector)')
    .option('--publication <name>', 'publication (default: publicationName / CONNECTOR_PUBLICATION_NAME / rowcast_connector)')
    .option('--log-level <level>', 'trace, debug, info, warn, error', process.env.LOG_LEVEL ?? 'info')
    .action(async (opts: { config?: string; endpoint?: string; key?: string; slot?: string; publication?: string; logLevel: string }) => {
      const logger = pino({ level: opts.logLevel });
      let connector: PostgresConnector;
      try {
        const config = await loadConnectorConfig(opts.config, {
          ...process.env,
          ...(opts.slot ? { CONNECTOR_SLOT_NAME: opts.slot } : {}),
          ...(opts.publication ? { CONNECTOR_PUBLICATION_NAME: opts.publication } : {}),
        });
        const apiKey = opts.key ?? config.apiKey;
        if (!apiKey) throw new ConnectorConfigError('no API key: set ably.apiKey, ABLY_API_KEY or --key');
        const endpoint = opts.endpoint ?? config.endpoint;
        const publisher = restPublisher({ endpoint, apiKey, maxMessageSize: config.maxMessageSize });
        connector = new PostgresConnector(config, publisher, logger);
        await connector.start();
        logger.info({ endpoint: endpoint ?? 'hosted Ably', tables: config.mappings.length }, 'connector running');
      } catch (err) {
        const known = err instanceof ConnectorConfigError || err instanceof ConnectorSetupError;
        process.stderr.write(`rowcast connector: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`);
        process.exit(known ? 2 : 1);
      }
      const stop = (signal: string) => {
        logger.info(`${signal}: stopping connector`);
        void connector.stop().then(() => process.exit(0));
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
}
