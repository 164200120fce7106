import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import type { ServerContext, Stoppable } from './context.js';
import { appsConfigSchema, type AppConfig } from './apps/config.js';
import type { AppContext, AppRoutesModule } from './apps/app-context.js';
import { applyMigrations } from './apps/migrations.js';
import { buildIfStale } from './apps/build.js';
import { progress } from './logger.js';
import { ConfigError } from './config.js';
import { configIssueLines } from '@rowcast/core';

export { appsConfigSchema, appConfigSchema, type AppConfig } from './apps/config.js';
export type { AppContext, AppRoutesModule } from './apps/app-context.js';

/**
 * Starts the apps of the config's `apps` section, in order: for each, its migrations, its build when stale, its
 * routes module, then its static files (after the routes, so an SPA fallback never hides an endpoint).
 * Runs before rules and the change stream, so the tables they use exist. Returns undefined when there are no apps.
 */
export async function start(ctx: ServerContext): Promise<Stoppable | undefined> {
  const parsed = appsConfigSchema.safeParse(ctx.config.apps ?? []);
  if (!parsed.success) {
    throw new ConfigError(`Invalid apps section:\n${configIssueLines(parsed.error.issues, ['apps'])}`);
  }
  const apps = parsed.data;
  if (apps.length === 0) return undefined;
  const needsDb = apps.some((a) => a.migrations || a.routes);
  const pool = needsDb && ctx.databaseUrl ? new pg.Pool({ connectionString: ctx.databaseUrl, max: 5 }) : undefined;
  pool?.on('error', (err) => ctx.logger.warn({ err }, 'apps: idle database connection failed'));
  const stoppables: Stoppable[] = [];
  try {
    for (const app of apps) {
      const stoppable = await startApp(ctx, app, pool);
      if (stoppable) stoppables.push(stoppable);
    }
  } catch (err) {
    for (const s of stoppables.reverse()) await s.stop().catch(() => {}); // the apps that did start
    await pool?.end();
    throw err;
  }
  return {
    async stop() {
      for (const s of stoppables.reverse()) await s.stop();
      await pool?.end();
    },
  };
}

async function startApp(ctx: ServerContext, app: AppConfig, pool: pg.Pool | undefined): Promise<Stoppable | undefined> {
  const log = ctx.logger.child({ app: app.name });
  const at = (p: string) => resolve(ctx.configDir, p);

  if (app.migrations) {
    if (!pool) throw new Error(`app ${app.name} has migrations but Rowcast has no database`);
    const applied = await applyMigrations(pool, app.name, at(app.migrations));
    progress(log, applied.length ? `${app.name}: applied migrations ${applied.join(', ')}` : `${app.name}: database schema up to date`);
  }

  const build = app.static?.build;
  if (app.static && build) {
    const started = Date.now();
    const cwd = at(build.cwd);
    const built = await buildIfStale({
      command: build.command,
      cwd,
      inputs: build.inputs.map((i) => resolve(cwd, i)),
      outDir: at(app.static.dir),
    });
    progress(log, built ? `${app.name}: web app built in ${((Date.now() - started) / 1000).toFixed(1)} s` : `${app.name}: web app up to date`);
  }

  let stoppable: Stoppable | undefined;
  if (app.routes) {
    const mod = (await import(pathToFileURL(at(app.routes)).href)) as Partial<AppRoutesModule>;
    if (typeof mod.register !== 'function') throw new Error(`app ${app.name}: ${app.routes} does not export register()`);
    const dataDir = resolve(ctx.dataDir, 'apps', app.name);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const appCtx: AppContext = {
      name: app.name,
      http: ctx.http,
      auth: ctx.auth,
      keyName: app.keyName ?? defaultKeyName(ctx, app.name),
      db: pool,
      logger: log,
      settings: app.settings,
      dataDir,
      baseUrl: ctx.baseUrl,
    };
    stoppable = (await mod.register(appCtx)) ?? undefined;
    progress(log, `${app.name}: routes registered`);
  }

  if (app.static) {
    ctx.http.static(app.static.prefix, at(app.static.dir), { spa: app.static.spa });
    progress(log, `${app.name}: serving ${app.static.dir} at ${app.static.prefix}`);
  }
  return stoppable;
}

/** The server's first API key: the server puts the keys in use (configured or generated) in `config.keys`. */
function defaultKeyName(ctx: ServerContext, app: string): string {
  const keys = Array.isArray(ctx.config.keys) ? (ctx.config.keys as unknown[]) : [];
  for (const key of keys) {
    if (key && typeof key === 'object' && 'name' in key && typeof key.name === 'string') return key.name;
  }
  throw new Error(`app ${app}: no API key to sign tokens with; set apps[].keyName or configure keys`);
}
