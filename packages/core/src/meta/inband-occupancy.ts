import { newEventId } from '../messages/event-id.js';
import { Action } from '@rowcast/protocol';
import { Attachment } from '../connection/attachment.js';
import type { EngineContext } from '../context.js';
import type { ChannelDetails } from '../node-api.js';

/**
 * Ably's inband occupancy: a `[meta]occupancy` message with the channel's metrics to each local attachment made
 * with `occupancy=metrics` (only to that connection, not published on the channel).
 */
export function deliverInbandOccupancy(ctx: EngineContext, channel: string, details: ChannelDetails): void {
  const now = ctx.clock.now();
  for (const sub of ctx.hub.subscribers(channel)) {
    if (!(sub instanceof Attachment) || !sub.inbandOccupancy || !sub.rights.subscribe || sub.pending) continue;
    const id = `${newEventId()}:0`;
    const data = JSON.stringify({ metrics: details.status.occupancy.metrics });
    sub.conn.send({
      action: Action.MESSAGE,
      channel: sub.name,
      timestamp: now,
      messages: [{ id, name: '[meta]occupancy', data, encoding: 'json', timestamp: now }],
    });
  }
}
