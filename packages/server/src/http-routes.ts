import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve } from 'node:path';
import send from 'send';
import type { HttpHandler, HttpRoutes } from './context.js';

interface Route {
  method: string;
  path: string;
  handler: HttpHandler;
}

/** HttpRoutes in registration order: the first route that matches and returns true answers the request. */
export class RouteTable implements HttpRoutes {
  private readonly routes: Route[] = [];

  add(method: string, path: string, handler: HttpHandler): void {
    this.routes.push({ method: method.toUpperCase(), path, handler });
  }

  static(prefix: string, dir: string, opts: { spa?: boolean } = {}): void {
    const root = resolve(dir);
    const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
    const serve: HttpHandler = (req, res, url) => serveFile(req, res, root, url.pathname.slice(base.length), opts.spa ?? false);
    this.add('GET', base, serve);
    this.add('HEAD', base, serve);
  }

  /** Runs the matching routes; false when none answered. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const method = (req.method ?? 'GET').toUpperCase();
    for (const r of this.routes) {
      if (r.method !== method && r.method !== '*') continue;
      const matches = r.path.endsWith('/') ? url.pathname.startsWith(r.path) || url.pathname === r.path.slice(0, -1) : url.pathname === r.path;
      if (matches && (await r.handler(req, res, url))) return true;
    }
    return false;
  }
}

/**
 * Serves `rel` from `root` through `send` (ETag and Last-Modified with 304s, Range requests, HEAD, no dotfiles,
 * no path traversal); index.html for directories and, with `spa`, for unknown page paths. Resolves false when there
 * is nothing to serve, so the next route (or the 404) answers.
 */
async function serveFile(req: IncomingMessage, res: ServerResponse, root: string, rel: string, spa: boolean): Promise<boolean> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return false;
  }
  if (await sendFrom(req, res, root, `/${rel}`)) return true;
  // The SPA fallback is for page routes, not for missing assets (a missing .js should be a 404).
  return spa && !extname(decoded) && sendFrom(req, res, root, '/index.html');
}

/**
 * Sends `path` (URL-encoded, relative to `root`); false when send found no file and wrote nothing. A directory
 * without its trailing slash is redirected to it (301), as static servers do.
 */
function sendFrom(req: IncomingMessage, res: ServerResponse, root: string, path: string): Promise<boolean> {
  return new Promise((done) => {
    send(req, path, { root, index: ['index.html'], dotfiles: 'ignore' })
      // 'headers' comes once a file is found, before a 200, 206, 304 or HEAD answer is written.
      .on('headers', (out: ServerResponse, file: string) => {
        // Hashed assets can be cached; pages must be revalidated so a rebuild shows up.
        out.setHeader('cache-control', extname(file).toLowerCase() === '.html' ? 'no-cache' : 'public, max-age=3600');
        done(true);
      })
      .on('error', (err: { status?: number }) => {
        if (res.headersSent) return res.destroy();
        if (err.status === 404) return done(false);
        res.writeHead(err.status ?? 500).end();
        done(true);
      })
      .pipe(res);
  });
}
