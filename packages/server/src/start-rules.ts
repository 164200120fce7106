import { RulesEngine, rulesSectionSchema, type SigningKey } from '@rowcast/rules';
import { ConfigError } from './config.js';
import type { ServerContext, Stoppable } from './context.js';
import { progress } from './logger.js';
import { configIssueLines } from '@rowcast/core';

/**
 * Starts the integration rules of the config's `rules` section: registers the accepted-publish hook that queues
 * matching messages (in PostgreSQL when the server has a database) and delivers what a previous run left queued.
 * Returns undefined when no rule is configured, so the publish path carries no hook at all.
 */
export async function start(ctx: ServerContext): Promise<Stoppable | undefined> {
  const section = ctx.config.rules;
  if (section === undefined) return undefined;
  const parsed = rulesSectionSchema.safeParse(section);
  if (!parsed.success) {
    throw new ConfigError(`Invalid rules section:\n${configIssueLines(parsed.error.issues, ['rules'])}`);
  }
  const rules = parsed.data;
  if (rules.length === 0) return undefined;

  const functionEnv: Record<string, string> = { ROWCAST_URL: ctx.baseUrl };
  // Functions find the server's database as DATABASE_URL (the chat function's pool uses it), unless a rule sets it.
  if (ctx.databaseUrl) functionEnv.DATABASE_URL = ctx.databaseUrl;

  const engine = await RulesEngine.start({
    rules,
    logger: ctx.logger.child({ component: 'rules' }),
    baseDir: ctx.configDir,
    databaseUrl: ctx.databaseUrl,
    appId: appIdOf(ctx.config),
    site: typeof ctx.config.site === 'string' ? ctx.config.site : 'rowcast',
    resolveSigningKey: (name) => signingKey(ctx, name),
    functionEnv,
  });
  ctx.node.onAccepted(engine.hook);
  ctx.operations.rules = engine;
  progress(ctx.logger, `rules: ${rules.length} rule${rules.length === 1 ? '' : 's'} (${rules.map((r) => r.id).join(', ')})`);
  return { stop: () => engine.stop() };
}

/** Configured keys, in the forms a config may give them: `"name:secret"` strings or `{ name, secret }` objects. */
function configuredKeys(config: Record<string, unknown>): SigningKey[] {
  const keys = config.keys;
  if (!Array.isArray(keys)) return [];
  return keys.flatMap((key): SigningKey[] => {
    if (typeof key === 'string' && key.includes(':')) {
      const at = key.indexOf(':');
      return [{ name: key.slice(0, at), secret: key.slice(at + 1) }];
    }
    if (key && typeof key === 'object' && typeof key.name === 'string' && typeof key.secret === 'string') {
      return [{ name: key.name, secret: key.secret }];
    }
    return [];
  });
}

/** A webhook's signing key: `name:secret` inline, else the authenticator's key, else the config's `keys`. */
function signingKey(ctx: ServerContext, name: string): SigningKey | undefined {
  if (name.includes(':')) {
    const at = name.indexOf(':');
    return { name: name.slice(0, at), secret: name.slice(at + 1) };
  }
  const secret = ctx.auth.keySecret?.(name);
  if (secret) return { name, secret };
  return configuredKeys(ctx.config).find((key) => key.name === name);
}

/** Envelopes carry an app id: the config's `appId`, else the app part of the first key name (`app1.full` -> app1). */
function appIdOf(config: Record<string, unknown>): string {
  if (typeof config.appId === 'string' && config.appId) return config.appId;
  const first = configuredKeys(config)[0];
  return first ? first.name.split('.')[0] : 'rowcast';
}
