import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

const operation = z.string().min(1);

/** An API key as written in the config (Ably's shape). */
export const keySchema = z.object({
  name: z.string().regex(/^[^.:\s]+\.[^:\s]+$/, 'must look like "appId.keyId"'),
  secret: z.string().min(8, 'must be at least 8 characters'),
  capability: z.record(z.string().min(1), z.array(operation).min(1)).default({ '*': ['*'] }),
});

/** Realtime engine tunables; each maps to EngineConfig (core/src/engine-config.ts). */
export const realtimeSchema = z
  .object({
    maxMessageSize: z.number().int().positive(),
    maxFrameSize: z.number().int().positive(),
    connectionStateTtlMs: z.number().int().positive(),
    maxIdleIntervalMs: z.number().int().positive(),
    presenceLeaveDelayMs: z.number().int().nonnegative(),
    presenceSyncPageSize: z.number().int().positive(),
    maxSendBufferBytes: z.number().int().positive(),
    historyTtlMs: z.number().int().positive(),
    historyMaxEventsPerChannel: z.number().int().positive(),
    idempotencyWindowMs: z.number().int().positive(),
    maxInboundRate: z.number().int().positive(),
  })
  .partial()
  .strict();

/**
 * rowcast.config.json. Known sections are validated here; the sections of components (apps, rules, connector)
 * pass through and are validated by the component that reads them.
 */
export const configSchema = z.looseObject({
  port: z.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).default('0.0.0.0'),
  /** Rowcast's own data (generated key, embedded PostgreSQL); relative to the config file's directory. */
  dataDir: z.string().min(1).default('.rowcast'),
  keys: z.array(keySchema).default([]),
  realtime: realtimeSchema.default({}),
  database: z
    .object({ url: z.string().min(1).optional() })
    .strict()
    .optional(),
  log: z
    .object({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
      /** `auto`: readable progress lines when stdout is a terminal, JSON lines otherwise; `pretty` or `json` to force. */
      format: z.enum(['auto', 'pretty', 'json']).default('auto'),
    })
    .default({ level: 'info', format: 'auto' }),
});

export type RowcastConfig = z.infer<typeof configSchema>;
export type RowcastConfigInput = z.input<typeof configSchema>;

/** A config file that could not be read or does not validate; the message names the file and the bad fields. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates a config object; throws ConfigError listing each bad field as `path.to.field: problem`. */
export function parseConfig(input: unknown, source = 'config'): RowcastConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid ${source}:\n${lines.join('\n')}`);
  }
  return result.data;
}

export interface LoadedConfig {
  config: RowcastConfig;
  /** Directory relative paths resolve against (the config file's, or the working directory). */
  configDir: string;
  /** The file read, if any. */
  path?: string;
}

/**
 * Finds and loads the config: `--config` path, else ROWCAST_CONFIG, else ./rowcast.config.json when it exists,
 * else the defaults. Applies env overrides: PORT, DATABASE_URL (database.url), REDIS_URL (redis.url).
 */
export function loadConfig(opts: { path?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const explicit = opts.path ?? env.ROWCAST_CONFIG;
  const fallback = resolve(cwd, 'rowcast.config.json');
  const path = explicit ? resolve(cwd, explicit) : existsSync(fallback) ? fallback : undefined;
  let raw: unknown = {};
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(`Cannot read config file ${path}: ${(err as Error).message}`);
    }
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`Config file ${path} is not valid JSON: ${(err as Error).message}`);
    }
  }
  const config = parseConfig(raw, path ? `config file ${path}` : 'config');
  applyEnv(config, env);
  return { config, configDir: path ? dirname(path) : cwd, path };
}

/** Environment overrides (12-factor): PORT, DATABASE_URL and REDIS_URL win over the file. */
export function applyEnv(config: RowcastConfig, env: NodeJS.ProcessEnv): void {
  if (env.PORT) {
    const port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT: "${env.PORT}" is not a port number`);
    config.port = port;
  }
  if (env.DATABASE_URL) config.database = { ...config.database, url: env.DATABASE_URL };
  // REDIS_URL makes the node a member of the Redis cluster (server/src/engine-adapters.ts).
  if (env.REDIS_URL) Object.assign(config, { redis: { ...(config as { redis?: object }).redis, url: env.REDIS_URL } });
}
