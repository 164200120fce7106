import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { HttpHandler, HttpRoutes } from './context.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
};

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

/** Serves `rel` from `root` (index.html for directories; with `spa`, index.html for unknown paths). */
function serveFile(req: IncomingMessage, res: ServerResponse, root: string, rel: string, spa: boolean): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return false;
  }
  const target = normalize(join(root, decoded));
  if (target !== root && !target.startsWith(root + sep)) return false; // path traversal
  let file = fileAt(target) ?? fileAt(join(target, 'index.html'));
  // The SPA fallback is for page routes, not for missing assets (a missing .js should be a 404).
  if (!file && spa && !extname(decoded)) file = fileAt(join(root, 'index.html'));
  if (!file) return false;
  const type = CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream';
  const isHtml = type.startsWith('text/html');
  res.writeHead(200, {
    'content-type': type,
    'content-length': file.size,
    // Hashed assets can be cached; pages must be revalidated so a rebuild shows up.
    'cache-control': isHtml ? 'no-cache' : 'public, max-age=3600',
  });
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  createReadStream(file.path)
    .on('error', () => res.destroy())
    .pipe(res);
  return true;
}

function fileAt(path: string): { path: string; size: number } | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? { path, size: st.size } : undefined;
  } catch {
    return undefined;
  }
}
