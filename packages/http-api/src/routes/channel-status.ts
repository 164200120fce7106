import { requireCaller } from '../authenticate.js';
import { sendBody } from '../respond.js';
import type { RouteHandler } from '../route.js';
import { requireCapability } from './capability-check.js';

/** `GET /channels/{name}`: ChannelDetails (status and occupancy); needs `channel-metadata`, as on Ably. */
export const channelStatus: RouteHandler = async (r) => {
  const caller = requireCaller(r.req, r.url, r.deps.auth);
  const [channel] = r.params;
  requireCapability(caller, channel!, 'channel-metadata');
  sendBody(r.res, r.style, 200, await r.deps.node.channelDetails(channel!));
};
