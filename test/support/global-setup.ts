import type { TestProject } from 'vitest/node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '@rowcast/server';
import { freePort } from './ports.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin connection string of the PostgreSQL the tests use: DATABASE_URL if given, else an embedded one. */
    databaseUrl: string;
    /** Redis URL from REDIS_URL, or '' when no Redis is configured. */
    redisUrl: string;
  }
}

let embedded: EmbeddedPostgresHandle | undefined;
let dataDir: string | undefined;

/**
 * One PostgreSQL for the whole run: the system one when DATABASE_URL is set (CI does this for PostgreSQL 15),
 * otherwise an embedded PostgreSQL 17 in a temporary directory. Tests create their own databases in it.
 */
export async function setup(project: TestProject): Promise<void> {
  let databaseUrl = process.env.DATABASE_URL ?? '';
  if (!databaseUrl) {
    dataDir = mkdtempSync(join(tmpdir(), 'rowcast-test-pg-'));
    embedded = await startEmbeddedPostgres({ dataDir, port: await freePort() });
    databaseUrl = embedded.url;
  }
  project.provide('databaseUrl', databaseUrl);
  project.provide('redisUrl', process.env.REDIS_URL ?? '');
}

export async function teardown(): Promise<void> {
  await embedded?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
