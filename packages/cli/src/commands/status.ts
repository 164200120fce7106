import type { Command } from 'commander';
import { loadConfig, type HealthSummary } from '@rowcast/server';

interface StatusOptions {
  config?: string;
  url?: string;
  adminKey?: string;
  json?: boolean;
}

/** One line per part of the summary, for a terminal. */
function describe(s: HealthSummary, url: string): string {
  const lines = [
    `Rowcast at ${url}: ${s.ok ? 'healthy' : 'DEGRADED'} (node ${s.nodeId}, ${s.engine} engine, up ${s.uptimeSeconds} s)`,
    `  connections  ${s.connections.connected} connected, ${s.connections.disconnected} awaiting resume`,
    `  channels     ${s.channels} active, ${s.attachments} attachments`,
    `  traffic      ${s.traffic.messagesIn} messages in, ${s.traffic.messagesOut} out, ${s.traffic.presenceIn} presence changes, ` +
      `${s.traffic.publishRefusals} refused, ${s.traffic.slowConsumerDisconnects} slow consumers cut`,
  ];
  if (s.redis)
    lines.push(
      `  redis        ${s.redis.ok ? `ok, ${s.redis.roundTripMs} ms round trip` : `UNREACHABLE: ${s.redis.error}`}, ${s.redis.reconnects} reconnects`,
    );
  if (s.changeStream) {
    const cs = s.changeStream;
    lines.push(
      `  change stream ${cs.active ? 'active' : 'standby'}, slot lag ${cs.slotLagBytes ?? '?'} bytes, confirmed ${cs.confirmedLsn}, ${cs.publishedRows} rows published, ${cs.queuedRows} queued`,
    );
  }
  if (s.rules) lines.push(`  rules        ${s.rules.queued} queued, ${s.rules.deadLetters} dead letters`);
  return lines.join('\n');
}

/**
 * `rowcast status [--json]`: the health summary of a running server (GET /admin/api/status with the admin key):
 * readable lines, or the JSON for scripts. Exits 1 when the server is unreachable, refuses, or reports itself
 * degraded.
 */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('health summary of a running Rowcast (needs the admin key)')
    .option('-c, --config <file>', 'config file (for the port and admin.key)')
    .option('--url <url>', 'server base URL (default: http://127.0.0.1:<config port>)')
    .option('--admin-key <key>', 'admin key (default: $ROWCAST_ADMIN_KEY, else admin.key of the config)')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: StatusOptions) => {
      try {
        const { config } = loadConfig({ path: opts.config });
        const url = (opts.url ?? `http://127.0.0.1:${config.port}`).replace(/\/$/, '');
        const key = opts.adminKey || process.env.ROWCAST_ADMIN_KEY || config.admin.key;
        if (!key) throw new Error('no admin key: set admin.key in the config, ROWCAST_ADMIN_KEY, or pass --admin-key');
        let res: Response;
        try {
          res = await fetch(`${url}/admin/api/status`, { headers: { authorization: `Bearer ${key}` } });
        } catch (err) {
          throw new Error(`cannot reach ${url}: ${(err as { cause?: Error }).cause?.message ?? (err as Error).message}`);
        }
        const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
        if (!res.ok) throw new Error(`${url} answered ${res.status}: ${body?.error?.message ?? 'no admin API (is admin.key configured?)'}`);
        const summary = body as HealthSummary;
        process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : `${describe(summary, url)}\n`);
        process.exitCode = summary.ok ? 0 : 1;
      } catch (err) {
        process.stderr.write(`rowcast status: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
