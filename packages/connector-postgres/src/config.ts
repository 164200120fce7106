import { z } from 'zod';
import type { ClientConfig } from 'pg';
import { configIssueLines } from '@rowcast/core';

/**
 * The connector's configuration, accepted in the shape users of `ably-postgres-connector` already have
 * (`dbConfig`, `connector: [{tablename, ablychannelname, operation}]`, `ably.apiKey`) plus Rowcast's additions.
 * Loading from files and environment variables is in config-load.ts; this file validates and normalises.
 */

export type Operation = 'INSERT' | 'UPDATE' | 'DELETE';

/** One table + operation -> channel rule; `source` says where it came from, for error messages. */
export interface ChannelMapping {
  /** As written: `name` (resolved with the search_path, like the original's unquoted SQL) or `schema.name`. */
  tablename: string;
  operation: Operation;
  channel: string;
  source: string;
}

/**
 * A table whose rows are mutable messages (Rowcast's addition): the row with a given value of `keyColumn` is one
 * message, so its INSERT publishes `message.create`, later UPDATEs `message.update` and a DELETE `message.delete`
 * of that same message serial, on the channels `connector[]` routes the table's operations to.
 */
export interface MutableMessageTable {
  tablename: string;
  keyColumn: string;
  /** The messages' `name`; the config's `messageName` when absent. */
  name?: string;
  source: string;
}

export interface ConnectorConfig {
  /** Passed to `pg` as is (so `ssl` etc. work), or `{ connectionString }` from DATABASE_URL. */
  db: ClientConfig;
  mappings: ChannelMapping[];
  /** Tables published as mutable messages; every other table keeps the original `{table, type, row}` form. */
  mutableMessages: MutableMessageTable[];
  /** Key for REST publishing; required when `endpoint` is set. */
  apiKey?: string;
  /**
   * Where to publish through the REST API: a URL (`http://127.0.0.1:8080`), a host, or an Ably routing policy
   * name (`main`). Absent inside `rowcast start`: publish in-process.
   */
  endpoint?: string;
  slotName: string;
  publicationName: string;
  /** The `name` of every published message. */
  messageName: string;
  /** How often state (lag, rows/s, confirmed position) is logged. */
  statsIntervalMs: number;
  /** Size limit per publish when publishing through REST (the in-process limit comes from the engine). */
  maxMessageSize: number;
}

/** The original connector's message name, kept so existing subscribers filtering on it keep working. */
export const DEFAULT_MESSAGE_NAME = 'New message from the Ably/ Postgres connector';
export const DEFAULT_SLOT_NAME = 'rowcast_connector';
export const DEFAULT_PUBLICATION_NAME = 'rowcast_connector';
/** Ably's default per-publish limit (64 KiB). */
export const DEFAULT_MAX_MESSAGE_SIZE = 65536;

const OPERATIONS = ['INSERT', 'UPDATE', 'DELETE'] as const;

const operation = z.string().transform((value, ctx) => {
  const upper = value.trim().toUpperCase();
  if ((OPERATIONS as readonly string[]).includes(upper)) return upper as Operation;
  ctx.addIssue({ code: 'custom', message: `operation must be INSERT, UPDATE or DELETE (any case), got "${value}"` });
  return z.NEVER;
});

/** PostgreSQL accepts only lower-case letters, digits and underscores in slot names; keep publications alike. */
const pgName = z.string().regex(/^[a-z0-9_]{1,63}$/, 'use 1-63 lower-case letters, digits or underscores');

const mappingSchema = z.strictObject({
  tablename: z.string().trim().min(1, 'tablename is required'),
  ablychannelname: z.string().trim().min(1, 'ablychannelname is required'),
  operation,
});

/** `{tablename, keyColumn, name?}`: that table's rows become mutable messages keyed by that column. */
const mutableMessageSchema = z.strictObject({
  tablename: z.string().trim().min(1, 'tablename is required'),
  keyColumn: z.string().trim().min(1, 'keyColumn is required (the column naming the message, e.g. its primary key)'),
  name: z.string().min(1).optional(),
});

/**
 * Where to publish. `endpoint` is a URL, a host or an Ably routing policy; `port` and `tls` are the `ably` SDK's
 * client options of those names, which users write here as they would in the SDK (a host, then port and TLS).
 */
const ablySchema = z
  .strictObject({
    apiKey: z.string().optional(),
    endpoint: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    tls: z.boolean().optional(),
  })
  .refine((a) => (a.port === undefined && a.tls === undefined) || a.endpoint !== undefined, {
    message: 'ably.port and ably.tls need ably.endpoint (the host to publish to)',
  })
  .refine((a) => !(a.endpoint && /^https?:\/\//i.test(a.endpoint) && (a.port !== undefined || a.tls !== undefined)), {
    message: 'ably.endpoint is a URL, which already gives the port and TLS: drop ably.port and ably.tls, or give a host',
  });

/**
 * The JSON file form (and the `connector` section of a Rowcast config, which uses the same fields). Unknown keys
 * are refused by name: a misspelt or unsupported option silently ignored would publish somewhere else.
 */
export const connectorFileSchema = z.strictObject({
  dbConfig: z.record(z.string(), z.unknown()).optional(),
  databaseUrl: z.string().min(1).optional(),
  connector: z.array(mappingSchema).min(1, 'connector needs at least one {tablename, ablychannelname, operation}'),
  mutableMessages: z.array(mutableMessageSchema).optional(),
  ably: ablySchema.optional(),
  slotName: pgName.optional(),
  publicationName: pgName.optional(),
  messageName: z.string().min(1).optional(),
  statsIntervalSeconds: z.number().positive().optional(),
  maxMessageSize: z.number().int().positive().optional(),
});
export type ConnectorFileConfig = z.input<typeof connectorFileSchema>;

/** Thrown for an invalid configuration; the message lists every problem with its path. */
export class ConnectorConfigError extends Error {
  override name = 'ConnectorConfigError';
}

/** Fallbacks from the surroundings (environment, `rowcast start`): used only where the config is silent. */
export interface ConfigDefaults {
  databaseUrl?: string;
  apiKey?: string;
  endpoint?: string;
  slotName?: string;
  publicationName?: string;
  messageName?: string;
}

/**
 * Validates a config object of the JSON form and normalises it. Throws ConnectorConfigError naming each bad
 * field (an unknown operation, a missing channel); unknown tables are found later, against the database.
 */
export function parseConnectorConfig(input: unknown, defaults: ConfigDefaults = {}, origin = 'config'): ConnectorConfig {
  const withDefaults =
    input && typeof input === 'object' && !Array.isArray(input)
      ? {
          slotName: defaults.slotName,
          publicationName: defaults.publicationName,
          messageName: defaults.messageName,
          ...definedFields(input as Record<string, unknown>),
        }
      : input;
  const parsed = connectorFileSchema.safeParse(withDefaults);
  if (!parsed.success) {
    throw new ConnectorConfigError(`invalid connector ${origin}:\n${configIssueLines(parsed.error.issues)}`);
  }
  const c = parsed.data;
  const db = dbConfigOf(c.dbConfig, c.databaseUrl ?? defaults.databaseUrl);
  if (!db) {
    throw new ConnectorConfigError(`invalid connector ${origin}: no database given (dbConfig, databaseUrl, DB_* variables or DATABASE_URL)`);
  }
  const endpoint = (c.ably && endpointUrl(c.ably)) ?? defaults.endpoint;
  const apiKey = nonEmpty(c.ably?.apiKey) ?? defaults.apiKey;
  if (endpoint && !apiKey) {
    throw new ConnectorConfigError(`invalid connector ${origin}: publishing to ${endpoint} needs ably.apiKey`);
  }
  return {
    db,
    mappings: c.connector.map((m, i) => ({
      tablename: m.tablename,
      operation: m.operation,
      channel: m.ablychannelname,
      source: `connector[${i}]`,
    })),
    mutableMessages: (c.mutableMessages ?? []).map((m, i) => ({
      tablename: m.tablename,
      keyColumn: m.keyColumn,
      name: m.name,
      source: `mutableMessages[${i}]`,
    })),
    apiKey,
    endpoint,
    slotName: c.slotName ?? DEFAULT_SLOT_NAME,
    publicationName: c.publicationName ?? DEFAULT_PUBLICATION_NAME,
    messageName: c.messageName ?? DEFAULT_MESSAGE_NAME,
    statsIntervalMs: (c.statsIntervalSeconds ?? 10) * 1000,
    maxMessageSize: c.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
  };
}

/**
 * A host with `port` or `tls` becomes a URL (`http://host:port`), the form the REST publisher reads; without
 * them the endpoint stays as written (a URL, a host, or a routing policy). TLS is on unless `tls: false`, as in the
 * SDK; the port defaults to the scheme's.
 */
function endpointUrl(a: { endpoint?: string; port?: number; tls?: boolean }): string | undefined {
  if (!a.endpoint || (a.port === undefined && a.tls === undefined)) return a.endpoint;
  const scheme = a.tls === false ? 'http' : 'https';
  const host = a.endpoint.includes(':') && !a.endpoint.startsWith('[') ? `[${a.endpoint}]` : a.endpoint;
  return `${scheme}://${host}${a.port === undefined ? '' : `:${a.port}`}`;
}

/** `dbConfig` goes to pg untouched when it names a database; otherwise the URL is used. */
function dbConfigOf(dbConfig: Record<string, unknown> | undefined, url: string | undefined): ClientConfig | undefined {
  const meaningful = dbConfig && Object.values(dbConfig).some((v) => v !== '' && v !== undefined && v !== null);
  if (meaningful) return dbConfig as ClientConfig;
  if (url) return { connectionString: url };
  return undefined;
}

function definedFields(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}
