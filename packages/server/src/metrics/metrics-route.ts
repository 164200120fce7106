import type { HttpRoutes } from '../context.js';
import type { MetricsConfig } from '../operations-config.js';
import { hasBearer, refuse } from '../admin/bearer.js';
import { PrometheusMetrics, type PrometheusSources } from './prometheus.js';

/**
 * `GET /metrics` when `metrics.enabled`: open, unless `metrics.bearerToken` or an admin key is configured, in
 * which case a scrape must send `Authorization: Bearer` with either. Not registered at all when disabled.
 */
export function addMetricsRoute(routes: HttpRoutes, config: MetricsConfig, adminKey: string | undefined, sources: PrometheusSources): void {
  if (!config.enabled) return;
  const metrics = new PrometheusMetrics(sources);
  const secrets = [config.bearerToken, adminKey];
  const protectedScrape = secrets.some(Boolean);
  routes.add('GET', '/metrics', async (req, res) => {
    if (protectedScrape && !hasBearer(req, secrets)) {
      refuse(req, res, 'metrics');
      return true;
    }
    const body = await metrics.text();
    res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
    res.end(body);
    return true;
  });
}
