import { createServer, type AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import type { Logger } from 'pino';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { progress } from './logger.js';

/** The database the components use, and how to stop it when Rowcast started it. */
export interface ComponentDatabase {
  url?: string;
  /** Set for an embedded PostgreSQL: stopped last, after everything that uses it. */
  stop?: () => Promise<void>;
}

/**
 * The PostgreSQL the components (apps, rules, change stream, stats) use when one of them needs one: the
 * configured one (`database.url` / DATABASE_URL), else an embedded PostgreSQL in `<dataDir>/pg`.
 */
export async function provideDatabase(opts: { configured?: string; needed: boolean; dataDir: string; logger: Logger }): Promise<ComponentDatabase> {
  const { configured, needed, logger } = opts;
  if (!needed) return { url: configured };
  if (configured) {
    progress(logger, `PostgreSQL (${redactDatabaseUrl(configured)})`);
    return { url: configured };
  }
  const pgDir = join(opts.dataDir, 'pg');
  logger.info(`starting embedded PostgreSQL in ${pgDir}`);
  const pg = await startEmbeddedPostgres({ dataDir: pgDir, port: await freePort(), onNotice: (m) => logger.warn(m) });
  progress(logger, `PostgreSQL (embedded, ${shortPath(pgDir)}) ready on port ${pg.port}`);
  return { url: pg.url, stop: () => pg.stop() };
}

/** A path as a person would type it from here: relative when under the working directory. */
export function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** host:port/database of a connection URL, without user or password. */
function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => ok(port));
    });
  });
}
