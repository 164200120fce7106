import { requireCaller } from '../authenticate.js';
import { linkHeader, parseHistoryQuery } from '../history-query.js';
import { sendBody } from '../respond.js';
import type { RouteHandler } from '../route.js';
import { requireCapability } from './capability-check.js';

/** `GET /channels/{name}/messages`: message history, newest first by default, paged through `Link`. */
export const messageHistory: RouteHandler = async (r) => {
  const caller = requireCaller(r.req, r.url, r.deps.auth);
  const [channel] = r.params;
  requireCapability(caller, channel!, 'history');
  const query = parseHistoryQuery(r.url.searchParams);
  const page = await r.deps.node.history(channel!, query);
  sendBody(r.res, r.style, 200, page.items, { link: linkHeader('messages', query, page) });
};

/** `GET /channels/{name}/presence/history`: presence events, paged like message history. */
export const presenceHistory: RouteHandler = async (r) => {
  const caller = requireCaller(r.req, r.url, r.deps.auth);
  const [channel] = r.params;
  requireCapability(caller, channel!, 'history');
  const query = parseHistoryQuery(r.url.searchParams);
  const page = await r.deps.node.presenceHistory(channel!, query);
  sendBody(r.res, r.style, 200, page.items, { link: linkHeader('history', query, page) });
};
