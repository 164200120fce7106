import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseStatsQuery, queryStats, type RealtimeNode } from '@rowcast/core';
import type { StatsDeps } from '@rowcast/http-api';
import { ErrorInfo } from '@rowcast/protocol';
import type { HttpRoutes } from '../context.js';
import type { Operations } from '../operations.js';
import { hasBearer, refuse } from './bearer.js';
import type { ChangeStreamSamples } from './changestream-samples.js';
import { healthSummary } from './status.js';

export interface AdminApiDeps {
  node: RealtimeNode;
  operations: Operations;
  stats: StatsDeps;
  samples: ChangeStreamSamples;
  nodeId: string;
  startedAt: number;
  adminKey: string;
  /** The app id stats records carry (the app part of the first key name). */
  appId: string;
}

type Handler = (deps: AdminApiDeps, params: string[], url: URL, req: IncomingMessage) => Promise<unknown>;

const MAX_BODY = 64 * 1024;

/** The admin JSON routes (documented in the README, "Operate it"). Path segments after /admin/api. */
const ROUTES: Array<{ method: string; path: string[]; handler: Handler }> = [
  { method: 'GET', path: ['status'], handler: (d) => healthSummary(d.node, d.operations, d.nodeId, d.startedAt) },
  { method: 'GET', path: ['channels'], handler: listChannels },
  { method: 'GET', path: ['channels', '*'], handler: inspectChannel },
  { method: 'GET', path: ['connections'], handler: async (d) => d.node.localConnections() },
  {
    method: 'GET',
    path: ['changestream'],
    handler: async (d) => ({
      configured: Boolean(d.operations.connector),
      state: d.operations.connector?.state() ?? null,
      samples: d.samples.list(),
    }),
  },
  { method: 'GET', path: ['rules'], handler: rulesView },
  { method: 'POST', path: ['rules', 'requeue'], handler: requeue },
  {
    method: 'GET',
    path: ['stats'],
    handler: async (d, _p, url) => (await queryStats(d.stats.store, parseStatsQuery(url.searchParams, Date.now()), d.appId, Date.now())).items,
  },
];

/**
 * Registers `/admin/api/*`: JSON for the admin page and any other tool, each route refused (401 without
 * credentials, 403 with anything but the admin key: an Ably key or token never opens it).
 */
export function addAdminApi(routes: HttpRoutes, deps: AdminApiDeps): void {
  const handle = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (!hasBearer(req, [deps.adminKey])) {
      refuse(req, res, 'admin API');
      return true;
    }
    const segments = url.pathname.slice('/admin/api/'.length).split('/').filter(Boolean);
    let params: string[] | undefined;
    const route = ROUTES.find((r) => r.method === req.method && (params = match(r.path, segments)) !== undefined);
    try {
      if (!route) throw new ErrorInfo(`No admin route for ${req.method} ${url.pathname}`, 40400, 404);
      send(res, 200, await route.handler(deps, params!, url, req));
    } catch (err) {
      const info = ErrorInfo.from(err);
      send(res, info.statusCode, { error: info.toJSON() });
    }
    return true;
  };
  routes.add('GET', '/admin/api/', handle);
  routes.add('POST', '/admin/api/', handle);
}

function match(pattern: string[], segments: string[]): string[] | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '*') params.push(decodeURIComponent(segments[i]!));
    else if (pattern[i] !== segments[i]) return undefined;
  }
  return params;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Channels this node has subscribers or presence members on, with their occupancy. */
async function listChannels(d: AdminApiDeps): Promise<unknown> {
  const names = new Set([...d.node.localChannels().map((c) => c.name), ...d.node.localPresenceChannels()]);
  const out = [];
  for (const name of [...names].sort()) {
    const details = await d.node.channelDetails(name);
    out.push({ name, occupancy: details.status.occupancy.metrics });
  }
  return out;
}

/** One channel: occupancy, presence members and its most recent messages. */
async function inspectChannel(d: AdminApiDeps, [name]: string[]): Promise<unknown> {
  const details = await d.node.channelDetails(name!);
  const members = await d.node.presenceMembers(name!);
  const history = await d.node.history(name!, { direction: 'backwards', limit: 20 });
  return { name, occupancy: details.status.occupancy.metrics, members, messages: history.items };
}

async function rulesView(d: AdminApiDeps): Promise<unknown> {
  const rules = d.operations.rules;
  if (!rules) return { configured: false, stats: {}, queued: 0, deadLetters: [] };
  return { configured: true, stats: rules.stats(), queued: await rules.queued(), deadLetters: await rules.deadLetters(100) };
}

/** Body `{ ruleId?, deliveryIds? }`: puts those dead letters (all without a filter) back in the queue. */
async function requeue(d: AdminApiDeps, _p: string[], _u: URL, req: IncomingMessage): Promise<unknown> {
  const rules = d.operations.rules;
  if (!rules) throw new ErrorInfo('No integration rules are configured', 40400, 404);
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ErrorInfo('Body too large', 40000, 400);
    chunks.push(chunk as Buffer);
  }
  let body: { ruleId?: unknown; deliveryIds?: unknown } = {};
  try {
    if (size) body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ErrorInfo('Body must be JSON', 40001, 400);
  }
  const filter: { ruleId?: string; deliveryIds?: string[] } = {};
  if (typeof body.ruleId === 'string') filter.ruleId = body.ruleId;
  if (Array.isArray(body.deliveryIds)) filter.deliveryIds = body.deliveryIds.filter((x): x is string => typeof x === 'string');
  return { requeued: await rules.requeueDeadLetters(filter) };
}
