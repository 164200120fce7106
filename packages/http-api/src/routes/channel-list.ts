import { capabilityAllows } from '@rowcast/core';
import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import { requireCaller } from '../authenticate.js';
import { offsetLinkHeader } from '../offset-paging.js';
import { sendBody } from '../respond.js';
import type { RouteHandler } from '../route.js';

/** Ably's enumeration page size: 100 by default, at most 1000. */
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

function intParam(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  if (!params.has(name)) return fallback;
  const value = Number(params.get(name));
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ErrorInfo(`Invalid value for ${name}: an integer from ${min} to ${max}`, ErrorCode.INVALID_PARAMETER_VALUE, 400);
  }
  return value;
}

/**
 * `GET /channels`: enumerates the active channels the caller may see (`channel-metadata` capability), sorted by
 * name: `prefix` narrows them, `by=id` lists names, `by=value` (the default) ChannelDetails; `limit` pages them
 * through `Link: <./channels?...cursor=...>; rel="next"` (what the SDK's `request('get', '/channels')` follows).
 */
export const channelList: RouteHandler = async (r) => {
  const caller = requireCaller(r.req, r.url, r.deps.auth);
  const params = r.url.searchParams;
  const prefix = params.get('prefix') ?? '';
  const by = params.get('by') ?? 'value';
  if (by !== 'id' && by !== 'value') throw new ErrorInfo('Invalid value for by: "id" or "value"', ErrorCode.INVALID_PARAMETER_VALUE, 400);
  const limit = intParam(params, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT);
  const offset = intParam(params, 'cursor', 0, 0, Number.MAX_SAFE_INTEGER);
  const visible = r.deps.node
    .activeChannels()
    .filter((name) => name.startsWith(prefix) && capabilityAllows(caller.credentials.capability, name, 'channel-metadata'));
  const names = visible.slice(offset, offset + limit);
  const items = by === 'id' ? names : await Promise.all(names.map((name) => r.deps.node.channelDetails(name)));
  const base = new URLSearchParams({ limit: String(limit), by });
  if (prefix) base.set('prefix', prefix);
  sendBody(r.res, r.style, 200, items, { link: offsetLinkHeader('channels', base, offset, limit, visible.length) });
};
