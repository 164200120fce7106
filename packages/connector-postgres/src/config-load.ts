import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import dotenv from 'dotenv';
import { ConnectorConfigError, parseConnectorConfig, type ConfigDefaults, type ConnectorConfig } from './config.js';

/**
 * Reads the connector configuration the ways `ably-postgres-connector` did: a `.json` file, a `.env` file, or
 * the environment alone. As with the original (dotenv), variables already in the environment win over the file.
 */

type Env = Record<string, string | undefined>;

/** Loads `file` (JSON when it ends in .json, dotenv otherwise) or, without a file, the environment. */
export async function loadConnectorConfig(file: string | undefined, env: Env = process.env): Promise<ConnectorConfig> {
  if (file && extname(file).toLowerCase() === '.json') {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new ConnectorConfigError(`cannot read connector config ${file}: ${(err as Error).message}`);
    }
    return parseConnectorConfig(json, defaultsFromEnv(env), file);
  }
  const fileVars = file ? dotenv.parse(await readFile(file, 'utf8')) : {};
  return configFromEnv({ ...fileVars, ...definedOnly(env) }, file ?? 'environment');
}

/**
 * The environment form: DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, ABLY_API_KEY, ABLY_CONNECTOR (a JSON
 * array), and Rowcast's DATABASE_URL, ABLY_ENDPOINT, CONNECTOR_SLOT_NAME, CONNECTOR_PUBLICATION_NAME,
 * CONNECTOR_MESSAGE_NAME (these also fill in for a JSON file that does not set them). DB_* win over DATABASE_URL
 * when DB_HOST or DB_NAME is set.
 */
export function configFromEnv(env: Env, origin = 'environment'): ConnectorConfig {
  if (!env.ABLY_CONNECTOR) {
    throw new ConnectorConfigError(`invalid connector ${origin}: ABLY_CONNECTOR (a JSON array of mappings) is not set`);
  }
  let connector: unknown;
  try {
    connector = JSON.parse(env.ABLY_CONNECTOR);
  } catch (err) {
    throw new ConnectorConfigError(`invalid connector ${origin}: ABLY_CONNECTOR is not JSON: ${(err as Error).message}`);
  }
  const dbConfig =
    env.DB_HOST || env.DB_NAME
      ? {
          host: env.DB_HOST,
          port: env.DB_PORT ? Number(env.DB_PORT) : undefined,
          user: env.DB_USER,
          password: env.DB_PASSWORD,
          database: env.DB_NAME,
        }
      : undefined;
  return parseConnectorConfig(
    {
      dbConfig,
      connector,
      ably: { apiKey: env.ABLY_API_KEY },
    },
    defaultsFromEnv(env),
    origin,
  );
}

function defaultsFromEnv(env: Env): ConfigDefaults {
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    apiKey: env.ABLY_API_KEY || undefined,
    endpoint: env.ABLY_ENDPOINT || undefined,
    slotName: env.CONNECTOR_SLOT_NAME || undefined,
    publicationName: env.CONNECTOR_PUBLICATION_NAME || undefined,
    messageName: env.CONNECTOR_MESSAGE_NAME || undefined,
  };
}

function definedOnly(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
