import { ErrorCode, ErrorInfo, Flag, type ProtocolMessage } from '@rowcast/protocol';
import { capabilityAllows, userClaimFor } from '../auth/index.js';
import { parseChannelName, refuseClientPublish } from '../channel/names.js';
import type { RealtimeConnection } from './connection.js';
import { requireMode } from './require-mode.js';
import { acknowledged } from './acknowledged.js';

/**
 * ANNOTATION from a client (ably `channel.annotations.publish`/`delete`): annotations on earlier messages under
 * one msgSerial. Needs the `annotation-publish` capability and, on an attached channel, the annotation_publish
 * mode (40160); counts against the publish rate; acknowledged in msgSerial order once accepted (the summaries
 * follow as `message.summary` messages).
 */
export function handleAnnotation(conn: RealtimeConnection, pm: ProtocolMessage): Promise<void> {
  return acknowledged(conn, pm, 'ANNOTATION', 'annotation publish failed', (msgSerial) => {
    const parsed = parseChannelName(pm.channel);
    refuseClientPublish(parsed);
    const { base } = parsed;
    if (!capabilityAllows(conn.credentials.capability, base, 'annotation-publish')) {
      throw new ErrorInfo(`Annotation publish not permitted on channel "${base}"`, ErrorCode.OPERATION_NOT_PERMITTED, 401);
    }
    requireMode(conn, pm.channel as string, Flag.ANNOTATION_PUBLISH, 'Annotation publish');
    const annotations = pm.annotations;
    if (!Array.isArray(annotations) || annotations.length === 0) {
      throw new ErrorInfo('ANNOTATION needs a non-empty annotations array', ErrorCode.BAD_REQUEST, 400);
    }
    conn.inboundRate.take(annotations.length);
    return conn.ctx
      .publishAnnotations(base, annotations, {
        connectionId: conn.id,
        clientId: conn.identity.wildcard ? '*' : conn.identity.clientId,
        keyName: conn.credentials.keyName,
        idBase: `${conn.id}:${msgSerial}`,
        defaultClientId: conn.identity.clientId,
        userClaim: userClaimFor(conn.credentials.userClaims, base),
      })
      .then(() => annotations.map(() => null));
  });
}
