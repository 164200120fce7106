import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { buildIfStale } from '../apps/build.js';
import type { HttpRoutes } from '../context.js';
import { progress } from '../logger.js';

/** apps/admin in this repository. */
const ADMIN_APP = resolve(import.meta.dirname, '../../../../apps/admin');

/**
 * Serves the admin page (apps/admin, built with Vite when its sources changed) at /admin. The page holds no
 * data: it asks for the admin key and reads everything from /admin/api.
 */
export async function addAdminPage(routes: HttpRoutes, logger: Logger): Promise<void> {
  const outDir = resolve(ADMIN_APP, 'dist');
  const built = await buildIfStale({
    command: [process.execPath, resolve(ADMIN_APP, '../../node_modules/vite/bin/vite.js'), 'build'],
    cwd: ADMIN_APP,
    inputs: ['src', 'index.html', 'vite.config.ts'].map((p) => resolve(ADMIN_APP, p)),
    outDir,
  });
  if (built) progress(logger, 'admin: page built');
  routes.static('/admin', outDir, { spa: true });
}
