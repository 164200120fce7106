import type { AcceptedPresence } from '@rowcast/core';
import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import { requireCaller } from '../authenticate.js';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../history-query.js';
import { offsetLinkHeader } from '../offset-paging.js';
import { sendBody } from '../respond.js';
import type { RouteHandler } from '../route.js';
import { requireCapability } from './capability-check.js';

/** Most channels one batch presence request may name. */
export const MAX_BATCH_PRESENCE_CHANNELS = 100;

/** Members are listed in a stable order, so `cursor` (an offset) pages through them. */
function byMemberKey(a: AcceptedPresence, b: AcceptedPresence): number {
  const ka = `${a.clientId}\n${a.connectionId}`;
  const kb = `${b.clientId}\n${b.connectionId}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * `GET /channels/{name}/presence`: current members (`clientId`, `connectionId` filters, `limit`, and an
 * offset `cursor` through `Link` for large sets). Needs `subscribe`, as on Ably.
 */
export const presenceMembers: RouteHandler = async (r) => {
  const caller = requireCaller(r.req, r.url, r.deps.auth);
  const [channel] = r.params;
  requireCapability(caller, channel!, 'subscribe');
  const params = r.url.searchParams;
  const filter: { clientId?: string; connectionId?: string } = {};
  if (params.get('clientId')) filter.clientId = params.get('clientId')!;
  if (params.get('connectionId')) filter.connectionId = params.get('connectionId')!;
  const limit = params.has('limit') ? Number(params.get('limit')) : DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new ErrorInfo(`Invalid value for limit: an integer from 1 to ${MAX_LIMIT}`, ErrorCode.INVALID_PARAMETER_VALUE, 400);
  }
  const offset = Number(params.get('cursor') ?? 0);
  if (!Number.isInteger(offset) || offset < 0) throw new ErrorInfo('Invalid cursor', ErrorCode.INVALID_PARAMETER_VALUE, 400);
  const members = (await r.deps.node.presenceMembers(channel!, filter)).sort(byMemberKey);
  const items = members.slice(offset, offset + limit);
  const base = new URLSearchParams({ limit: String(limit), ...filter });
  sendBody(r.res, r.style, 200, items, { link: offsetLinkHeader('presence', base, offset, limit, members.length) });
};

/**
 * `GET /presence?channels=a,b`: batch presence, Ably's
 * `{successCount, failureCount, results:[{channel, presence}|{channel, error}]}`.
 */
export const batchPresence: RouteHandler = async (r) => {
  const caller = requireCaller(r.req, r.url, r.deps.auth);
  const channels = (r.url.searchParams.get('channels') ?? '').split(',').filter((c) => c !== '');
  if (channels.length === 0) throw new ErrorInfo('Missing channels parameter', ErrorCode.INVALID_PARAMETER_VALUE, 400);
  if (channels.length > MAX_BATCH_PRESENCE_CHANNELS) {
    throw new ErrorInfo(`At most ${MAX_BATCH_PRESENCE_CHANNELS} channels per request`, ErrorCode.INVALID_PARAMETER_VALUE, 400);
  }
  const results = await Promise.all(
    channels.map(async (channel) => {
      try {
        requireCapability(caller, channel, 'subscribe');
        return { channel, presence: await r.deps.node.presenceMembers(channel) };
      } catch (err) {
        return { channel, error: ErrorInfo.from(err).toJSON() };
      }
    }),
  );
  const failureCount = results.filter((x) => 'error' in x).length;
  sendBody(r.res, r.style, 200, { successCount: results.length - failureCount, failureCount, results });
};
