import { ALL_MODES, Action, ErrorCode, ErrorInfo, Flag, type ProtocolMessage } from '@rowcast/protocol';
import { capabilityAllows } from '../auth/index.js';
import { parseChannelName } from '../channel/names.js';
import { isAfter } from '../channel/order.js';
import { parseRewind, selectBacklog } from '../channel/rewind.js';
import { deliverableMembers } from '../messages/deliverable.js';
import type { ChannelEvent } from '../ports/events.js';
import { Attachment, type ChannelRights } from './attachment.js';
import type { RealtimeConnection } from './connection.js';
import { syncFrames } from './presence.js';

/**
 * ATTACH: capability check (channel ERROR 40160 when the connection may do nothing on the channel), then
 * ATTACHED with mode flags, HAS_PRESENCE + SYNC when there are members, and the events the client should get
 * before live ones: the gap after its `channelSerial` (RESUMED), or a `rewind` backlog (HAS_BACKLOG).
 */
export async function handleAttach(conn: RealtimeConnection, pm: ProtocolMessage): Promise<void> {
  const name = pm.channel as string;
  let parsed;
  try {
    parsed = parseChannelName(pm.channel);
  } catch (err) {
    conn.sendError(err, typeof name === 'string' ? name : undefined);
    return;
  }
  const { base } = parsed;
  const params = { ...parsed.params, ...stringParams(pm.params) };
  const cap = conn.credentials.capability;
  const can = (op: 'subscribe' | 'publish' | 'presence' | 'history') => capabilityAllows(cap, base, op);
  if (!can('subscribe') && !can('publish') && !can('presence') && !can('history')) {
    conn.sendError(new ErrorInfo(`Channel denied access based on given capability (${base})`, ErrorCode.OPERATION_NOT_PERMITTED, 401), name);
    return;
  }
  const requested = typeof pm.flags === 'number' ? pm.flags & ALL_MODES : 0;
  let modes = 0;
  if (can('publish')) modes |= Flag.PUBLISH;
  if (can('subscribe')) modes |= Flag.SUBSCRIBE | Flag.PRESENCE_SUBSCRIBE;
  if (can('presence')) modes |= Flag.PRESENCE;
  if (requested) modes &= requested;
  const rights: ChannelRights = {
    subscribe: (modes & Flag.SUBSCRIBE) !== 0,
    presenceSubscribe: (modes & Flag.PRESENCE_SUBSCRIBE) !== 0,
  };

  const previous = conn.attachments.get(name);
  if (previous) conn.ctx.hub.remove(base, previous);
  const att = new Attachment(conn, name, base, rights);
  conn.attachments.set(name, att);
  conn.ctx.hub.add(base, att);

  try {
    const { history, broker, presence, clock, config } = conn.ctx;
    let flags = modes;
    let replay: ChannelEvent[] = [];
    let attachSerial = await broker.currentSerial(base);
    let coveredUpTo = attachSerial;
    const fromSerial = typeof pm.channelSerial === 'string' && pm.channelSerial ? pm.channelSerial : undefined;
    const continued = fromSerial ? await history.eventsAfter(base, fromSerial) : undefined;
    if (fromSerial && continued) {
      replay = continued;
      flags |= Flag.RESUMED;
      attachSerial = fromSerial;
      coveredUpTo = replay.length ? replay[replay.length - 1].serial : fromSerial;
    } else if (params.rewind !== undefined) {
      replay = selectBacklog(await history.events(base), parseRewind(params.rewind), clock.now());
      if (replay.length) {
        flags |= Flag.HAS_BACKLOG;
        const lastBacklog = replay[replay.length - 1].serial;
        if (isAfter(lastBacklog, coveredUpTo)) coveredUpTo = lastBacklog;
      }
    }
    const members = rights.presenceSubscribe ? deliverableMembers(base, await presence.members(base), conn.ctx.logger) : [];
    if (members.length) flags |= Flag.HAS_PRESENCE;
    if (conn.attachments.get(name) !== att) return; // detached or re-attached meanwhile

    const attached: ProtocolMessage = { action: Action.ATTACHED, channel: name, channelSerial: attachSerial, flags };
    if (Object.keys(params).length) attached.params = params;
    conn.send(attached);
    for (const frame of syncFrames(name, members, config.presenceSyncPageSize)) conn.send(frame);
    for (const event of replay) att.deliverOwn(event);
    const held = att.pending ?? [];
    att.pending = null;
    for (const event of held) if (isAfter(event.serial, coveredUpTo)) att.deliverOwn(event);
  } catch (err) {
    if (conn.attachments.get(name) === att) {
      conn.attachments.delete(name);
      conn.ctx.hub.remove(base, att);
    }
    conn.sendError(err, name);
  }
}

function stringParams(params: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (params && typeof params === 'object') {
    for (const [k, v] of Object.entries(params)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}
