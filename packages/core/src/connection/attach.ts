import { Action, ErrorCode, ErrorInfo, Flag, type Capability, type ProtocolMessage } from '@rowcast/protocol';
import { capabilityAllows } from '../auth/index.js';
import { compileFilter } from '../channel/filter.js';
import { parseChannelName } from '../channel/names.js';
import { isAfter } from '../channel/order.js';
import { requestedModes } from '../channel/modes.js';
import { echoedParams, stringParams } from '../channel/params.js';
import { parseRewind, selectBacklog } from '../channel/rewind.js';
import { storedView } from '../messages/ephemeral.js';
import { deliverableMembers } from '../messages/deliverable.js';
import { createdEvents, latestEvents } from '../messages/latest-view.js';
import type { ChannelEvent } from '../ports/events.js';
import { Attachment } from './attachment.js';
import type { RealtimeConnection } from './connection.js';
import { syncFrames } from './presence.js';

/**
 * ATTACH: capability check (channel ERROR 40160 when the connection may do nothing on the channel), then
 * ATTACHED with the granted mode flags (requested modes ∩ capability) and the params Rowcast honours,
 * HAS_PRESENCE + SYNC when there are members the client may see, and the events it should get before live ones:
 * the gap after its `channelSerial` (RESUMED), or a `rewind` backlog (HAS_BACKLOG). A rewind applies to the first
 * attach only: an ATTACH flagged ATTACH_RESUME (the SDK re-attaching a channel it had, RTL4j) gets no backlog.
 */
export async function handleAttach(conn: RealtimeConnection, pm: ProtocolMessage): Promise<void> {
  const name = pm.channel as string;
  let parsed;
  let filter;
  try {
    parsed = parseChannelName(pm.channel);
    if (parsed.filter !== undefined) filter = compileFilter(parsed.filter);
  } catch (err) {
    conn.sendError(err, typeof name === 'string' ? name : undefined);
    return;
  }
  const { base } = parsed;
  const params = { ...parsed.params, ...stringParams(pm.params) };
  const cap = conn.credentials.capability;
  if (!capabilityAllowsAny(cap, base)) {
    conn.sendError(new ErrorInfo(`Channel denied access based on given capability (${base})`, ErrorCode.OPERATION_NOT_PERMITTED, 401), name);
    return;
  }
  let requested: number;
  try {
    requested = requestedModes(params.modes, pm.flags);
  } catch (err) {
    conn.sendError(err, name);
    return;
  }

  const previous = conn.attachments.get(name);
  if (previous) conn.ctx.hub.remove(base, previous);
  const inbandOccupancy = params.occupancy === 'metrics';
  const att = new Attachment(conn, name, base, requested, 0, filter, inbandOccupancy);
  att.grant(cap);
  conn.attachments.set(name, att);
  conn.ctx.hub.add(base, att);

  try {
    const { history, broker, presence, clock, config } = conn.ctx;
    let flags = att.modes;
    let replay: ChannelEvent[] = [];
    let attachSerial = await broker.currentSerial(base);
    let coveredUpTo = attachSerial;
    const fromSerial = typeof pm.channelSerial === 'string' && pm.channelSerial ? pm.channelSerial : undefined;
    const continued = fromSerial ? await history.eventsAfter(base, fromSerial) : undefined;
    if (fromSerial && continued) {
      replay = storedView(continued);
      flags |= Flag.RESUMED;
      attachSerial = fromSerial;
      coveredUpTo = continued.length ? continued[continued.length - 1].serial : fromSerial;
    } else if (params.rewind !== undefined && !isAttachResume(pm.flags)) {
      // Each message once, as it now is (latest version), where it was created.
      const backlog = selectBacklog(createdEvents(storedView(await history.events(base))), parseRewind(params.rewind), clock.now());
      replay = await latestEvents(conn.ctx, base, backlog);
      if (replay.length) {
        flags |= Flag.HAS_BACKLOG;
        const lastBacklog = replay[replay.length - 1].serial;
        if (isAfter(lastBacklog, coveredUpTo)) coveredUpTo = lastBacklog;
      }
    }
    const members = att.has(Flag.PRESENCE_SUBSCRIBE) ? deliverableMembers(base, await presence.members(base), conn.ctx.logger) : [];
    if (members.length) flags |= Flag.HAS_PRESENCE;
    if (conn.attachments.get(name) !== att) return; // detached or re-attached meanwhile

    const attached: ProtocolMessage = { action: Action.ATTACHED, channel: name, channelSerial: attachSerial, flags };
    const echoed = echoedParams(params);
    if (echoed) attached.params = echoed;
    conn.send(attached);
    for (const frame of syncFrames(name, members, config.presenceSyncPageSize)) conn.send(frame);
    for (const event of replay) att.deliverOwn(event);
    const held = att.pending ?? [];
    att.pending = null;
    for (const event of held) if (isAfter(event.serial, coveredUpTo)) att.deliverOwn(event);
    const lost = att.deferredDiscontinuity;
    if (lost) {
      att.deferredDiscontinuity = undefined;
      att.discontinuity(lost.serial, lost.reason);
    }
  } catch (err) {
    if (conn.attachments.get(name) === att) {
      conn.attachments.delete(name);
      conn.ctx.hub.remove(base, att);
    }
    conn.sendError(err, name);
  }
}

function isAttachResume(flags: unknown): boolean {
  return typeof flags === 'number' && (flags & Flag.ATTACH_RESUME) !== 0;
}

/** Whether the capability lets the connection do anything at all on the channel (else the attach is refused). */
function capabilityAllowsAny(cap: Capability, channel: string): boolean {
  return (['subscribe', 'publish', 'presence', 'history'] as const).some((op) => capabilityAllows(cap, channel, op));
}
