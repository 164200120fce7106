import type { Logger } from 'pino';
import type { ApiKey, RealtimeNode } from '@rowcast/core';
import type { StatsDeps } from '@rowcast/http-api';
import type { RowcastConfig } from './config.js';
import type { RouteTable } from './http-routes.js';
import { addAdminApi } from './admin/admin-api.js';
import { addAdminPage } from './admin/admin-page.js';
import { ChangeStreamSamples } from './admin/changestream-samples.js';
import { addMetricsRoute } from './metrics/metrics-route.js';
import type { Operations } from './operations.js';
import type { RestRequestCounts } from './stats/rest-requests.js';

/**
 * What an operator reaches: `/metrics` (when enabled) and, only with an admin key configured, the admin API and
 * page (without a key there is nothing to sign in with). Returns the change-stream sampler to stop at shutdown.
 */
export async function addOperationsRoutes(
  routes: RouteTable,
  deps: {
    config: RowcastConfig;
    node: RealtimeNode;
    keys: ApiKey[];
    operations: Operations;
    stats: StatsDeps;
    restCounts: RestRequestCounts;
    nodeId: string;
    logger: Logger;
  },
): Promise<ChangeStreamSamples | undefined> {
  const { config, node, operations } = deps;
  addMetricsRoute(routes, config.metrics, config.admin.key, { node, restCounts: deps.restCounts, operations });
  if (!config.admin.key) return undefined;
  const samples = new ChangeStreamSamples(operations);
  addAdminApi(routes, {
    node,
    operations,
    stats: deps.stats,
    samples,
    nodeId: deps.nodeId,
    startedAt: Date.now(),
    adminKey: config.admin.key,
    appId: deps.keys[0]?.name.split('.')[0] ?? 'rowcast',
  });
  await addAdminPage(routes, deps.logger);
  return samples;
}
