import { randomBytes } from 'node:crypto';
import { Action, ErrorCode, ErrorInfo, Flag, PresenceAction, type ProtocolMessage } from '@rowcast/protocol';
import { capabilityAllows, userClaimFor } from '../auth/index.js';
import type { AcceptedPresence } from '../node-api.js';
import { parseChannelName, refuseClientPublish } from '../channel/names.js';
import { messageSize } from '../messages/normalise.js';
import { presencePayload } from '../messages/presence-payload.js';
import { withUserClaim } from '../messages/user-claim.js';
import { effectiveClientId } from './identity.js';
import type { RealtimeConnection } from './connection.js';
import { requireMode } from './require-mode.js';

const CLIENT_ACTIONS = new Set<number>([PresenceAction.ENTER, PresenceAction.LEAVE, PresenceAction.UPDATE]);

/**
 * PRESENCE from a client: enter/update/leave members keyed by clientId + connectionId. Needs the `presence`
 * capability and, on an attached channel, the presence mode (NACK 40160), and a clientId (NACK 40012). Ids are
 * `connectionId:msgSerial:index`, as the SDK compares them to order events.
 */
export async function handlePresence(conn: RealtimeConnection, pm: ProtocolMessage): Promise<void> {
  const msgSerial = typeof pm.msgSerial === 'number' ? pm.msgSerial : undefined;
  if (msgSerial === undefined) throw new ErrorInfo('PRESENCE needs a numeric msgSerial', ErrorCode.BAD_REQUEST, 400);
  const slot = conn.acks.begin(msgSerial);
  try {
    const parsed = parseChannelName(pm.channel);
    refuseClientPublish(parsed);
    const { base } = parsed;
    if (!capabilityAllows(conn.credentials.capability, base, 'presence')) {
      throw new ErrorInfo(`Presence not permitted on channel "${base}"`, ErrorCode.OPERATION_NOT_PERMITTED, 401);
    }
    requireMode(conn, pm.channel as string, Flag.PRESENCE, 'Presence');
    if (!Array.isArray(pm.presence) || pm.presence.length === 0) {
      throw new ErrorInfo('PRESENCE needs a non-empty presence array', ErrorCode.BAD_REQUEST, 400);
    }
    const now = conn.ctx.clock.now();
    const userClaim = userClaimFor(conn.credentials.userClaims, base);
    const accepted = pm.presence.map((raw, i): AcceptedPresence => {
      if (!raw || typeof raw !== 'object') throw new ErrorInfo(`presence[${i}] must be an object`, ErrorCode.BAD_REQUEST, 400);
      if (!CLIENT_ACTIONS.has(raw.action)) {
        throw new ErrorInfo(`presence[${i}].action must be enter, update or leave`, ErrorCode.BAD_REQUEST, 400);
      }
      const clientId = effectiveClientId(conn.identity, typeof raw.clientId === 'string' ? raw.clientId : undefined);
      if (!clientId) throw new ErrorInfo('Presence needs a clientId', ErrorCode.CLIENT_ID_NOT_PERMITTED, 400);
      // A re-enter after resume carries the member's original id; keep it so it is recognised as the same entry.
      const ownId = typeof raw.id === 'string' && raw.id.startsWith(`${conn.id}:`) ? raw.id : undefined;
      const p: AcceptedPresence = {
        id: ownId ?? `${conn.id}:${msgSerial}:${i}`,
        action: raw.action,
        clientId,
        connectionId: conn.id,
        timestamp: now,
      };
      Object.assign(p, presencePayload(raw, `presence[${i}]`, clientId, conn.ctx.config.maxMessageSize));
      return withUserClaim(p, userClaim);
    });
    if (!conn.presenceChannels.has(base)) {
      conn.presenceChannels.add(base);
      conn.saveState();
    }
    await conn.ctx.publishPresence(base, accepted, `${conn.id}:${msgSerial}`, conn.id);
    conn.acks.succeed(
      slot,
      accepted.map(() => null),
    );
  } catch (err) {
    conn.acks.fail(slot, ErrorInfo.from(err));
    if (!(err instanceof ErrorInfo)) conn.ctx.logger.error({ err, connectionId: conn.id }, 'presence failed');
  }
}

/** Members of `conn` leave `channel` (or every channel it entered), as after a DETACH, CLOSE or drop. */
export async function leaveAllPresence(conn: RealtimeConnection, onlyChannel?: string): Promise<void> {
  const channels = onlyChannel ? [onlyChannel] : [...conn.presenceChannels];
  for (const channel of channels) {
    if (!onlyChannel) conn.presenceChannels.delete(channel);
    try {
      const mine = (await conn.ctx.presence.members(channel)).filter((m) => m.connectionId === conn.id);
      if (mine.length === 0) continue;
      const now = conn.ctx.clock.now();
      // Ids not prefixed by the connectionId mark the leaves as server-synthesized: clients order them by timestamp.
      const tag = randomBytes(6).toString('base64url');
      const leaves = mine.map(
        (m, i): AcceptedPresence => ({
          id: `leave-${tag}:${m.connectionId}:${i}`,
          action: PresenceAction.LEAVE,
          clientId: m.clientId,
          connectionId: m.connectionId,
          timestamp: now,
          data: m.data,
          encoding: m.encoding,
        }),
      );
      await conn.ctx.publishPresence(channel, leaves, `leave-${tag}`, conn.id);
    } catch (err) {
      conn.ctx.logger.error({ err, connectionId: conn.id, channel }, 'presence leave failed');
    }
  }
}

/** A SYNC page also ends once its members' payloads pass this many bytes, so big member data cannot make huge frames. */
const SYNC_PAGE_BYTES = 32 * 1024;

/**
 * SYNC frames carrying the current members: at most `pageSize` members and about SYNC_PAGE_BYTES of member data
 * per frame. The cursor in channelSerial is `<syncId>:<page>`, and empty on the last page, which ends the sync
 * (RTP18).
 */
export function syncFrames(name: string, members: AcceptedPresence[], pageSize: number): ProtocolMessage[] {
  const syncId = randomBytes(6).toString('hex');
  const pages: AcceptedPresence[][] = [];
  let page: AcceptedPresence[] = [];
  let bytes = 0;
  for (const m of members) {
    const size = messageSize(m);
    if (page.length > 0 && (page.length >= pageSize || bytes + size > SYNC_PAGE_BYTES)) {
      pages.push(page);
      page = [];
      bytes = 0;
    }
    page.push({ ...m, action: PresenceAction.PRESENT });
    bytes += size;
  }
  if (page.length) pages.push(page);
  return pages.map((presence, i) => ({
    action: Action.SYNC,
    channel: name,
    channelSerial: `${syncId}:${i === pages.length - 1 ? '' : String(i + 1)}`,
    presence,
  }));
}
