import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '@rowcast/server';
import { PostgresDeliveryQueue } from '@rowcast/rules';

interface DatabaseOptions {
  config?: string;
  database?: string;
}

/**
 * The rules' database: --database, else DATABASE_URL / the config's `database.url`, else the embedded PostgreSQL
 * of a running Rowcast (its port is in `<dataDir>/pg/postmaster.pid`).
 */
function databaseUrl(opts: DatabaseOptions): string {
  if (opts.database) return opts.database;
  const { config, configDir } = loadConfig({ path: opts.config });
  if (config.database?.url) return config.database.url;
  const pidFile = join(resolve(configDir, config.dataDir), 'pg', 'postmaster.pid');
  if (existsSync(pidFile)) {
    const port = Number(readFileSync(pidFile, 'utf8').split('\n')[3]);
    if (Number.isInteger(port) && port > 0) return `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  }
  throw new Error(`no database: pass --database URL, set DATABASE_URL or database.url, or start Rowcast (embedded PostgreSQL in ${pidFile})`);
}

async function withQueue<T>(opts: DatabaseOptions, work: (queue: PostgresDeliveryQueue) => Promise<T>): Promise<T> {
  const queue = await PostgresDeliveryQueue.open(databaseUrl(opts), pino({ level: 'warn' }), 'cli');
  try {
    return await work(queue);
  } finally {
    await queue.close();
  }
}

function run(action: () => Promise<void>): Promise<void> {
  return action().catch((err: Error) => {
    process.stderr.write(`rowcast rules: ${err.message}\n`);
    process.exit(1);
  });
}

/**
 * `rowcast rules status | dead-letters | requeue`: inspect the integration rules' queue and dead letters, and put
 * dead letters back in the queue once their target is fixed (a running Rowcast delivers them at once).
 */
export function registerRulesCommand(program: Command): void {
  const rules = program.command('rules').description("inspect the integration rules' queue and dead letters");
  const common = (cmd: Command) =>
    cmd
      .option('-c, --config <file>', 'rowcast config file (for database.url and dataDir)')
      .option('--database <url>', 'PostgreSQL holding the rules queue');

  common(rules.command('status').description('queued deliveries and dead letters')).action((opts: DatabaseOptions) =>
    run(async () => {
      const { queued, dead } = await withQueue(opts, async (queue) => ({ queued: await queue.size(), dead: await queue.deadLetters(10_000) }));
      const byRule = new Map<string, number>();
      for (const d of dead) byRule.set(d.ruleId, (byRule.get(d.ruleId) ?? 0) + 1);
      console.log(`queued deliveries: ${queued}`);
      console.log(`dead letters: ${dead.length}${byRule.size ? ` (${[...byRule].map(([r, n]) => `${r}: ${n}`).join(', ')})` : ''}`);
    }),
  );

  common(rules.command('dead-letters').description('the most recent dead letters, one JSON object per line'))
    .option('--rule <id>', 'only this rule')
    .option('--limit <n>', 'how many', '20')
    .action((opts: DatabaseOptions & { rule?: string; limit: string }) =>
      run(async () => {
        const dead = await withQueue(opts, (queue) => queue.deadLetters(Number(opts.limit) || 20));
        for (const d of dead.filter((x) => !opts.rule || x.ruleId === opts.rule)) {
          const { ruleId, channel, deliveryId, attempts, lastError, failedAt, item } = d;
          console.log(JSON.stringify({ ruleId, channel, deliveryId, attempts, lastError, failedAt: new Date(failedAt).toISOString(), item }));
        }
      }),
    );

  common(rules.command('requeue').description('put dead letters back in the queue (at the end of their channel)'))
    .option('--rule <id>', 'only this rule')
    .option('--id <deliveryId...>', 'only these message ids')
    .option('--all', 'every dead letter')
    .action((opts: DatabaseOptions & { rule?: string; id?: string[]; all?: boolean }) =>
      run(async () => {
        if (!opts.all && !opts.rule && !opts.id) throw new Error('say which: --rule ID, --id ID..., or --all');
        const n = await withQueue(opts, (queue) => queue.requeueDeadLetters({ ruleId: opts.rule, deliveryIds: opts.id }));
        console.log(`requeued ${n} dead letter${n === 1 ? '' : 's'}`);
      }),
    );
}
