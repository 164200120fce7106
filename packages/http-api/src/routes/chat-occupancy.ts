import { chatCall } from '../chat/chat-request.js';
import { sendBody } from '../respond.js';
import type { RouteHandler } from '../route.js';
import { requireCapability } from './capability-check.js';

/** `GET /chat/v4/rooms/{room}/occupancy`: `{connections, presenceMembers}` of the room's channel, now. */
export const chatOccupancy: RouteHandler = async (r) => {
  const call = chatCall(r);
  requireCapability(call.caller, call.channel, 'channel-metadata');
  const { metrics } = (await r.deps.node.channelDetails(call.channel)).status.occupancy;
  sendBody(r.res, r.style, 200, { connections: metrics.connections, presenceMembers: metrics.presenceMembers });
};
