import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import type { Credentials } from '../auth/api.js';

/** Who a connection speaks as. */
export interface Identity {
  /** The connection's clientId, if it has one. */
  clientId?: string;
  /** True when messages may carry any clientId (key auth, or a token for `*`). */
  wildcard: boolean;
}

/**
 * Combines the credentials with the clientId the client asked for (`clientId=` param). A token bound to a
 * clientId admits only that clientId (40102 otherwise); key auth and `*` tokens take the requested one.
 */
export function resolveIdentity(creds: Credentials, requested: string | undefined): Identity {
  if (requested === '*') throw incompatible('A connection cannot use the wildcard clientId "*"');
  if (creds.kind === 'basic' || creds.clientId === '*') return { clientId: requested, wildcard: true };
  if (creds.clientId !== undefined) {
    if (requested !== undefined && requested !== creds.clientId) {
      throw incompatible(`Requested clientId "${requested}" does not match the token's clientId "${creds.clientId}"`);
    }
    return { clientId: creds.clientId, wildcard: false };
  }
  if (requested !== undefined) throw incompatible(`The token has no clientId, so clientId "${requested}" cannot be used`);
  return { wildcard: false };
}

/** The clientId a message or presence entry ends up with, or a 40012 when the connection may not use it. */
export function effectiveClientId(identity: Identity, given: string | undefined): string | undefined {
  if (given === undefined || given === identity.clientId) return given ?? identity.clientId;
  if (identity.wildcard) return given;
  throw new ErrorInfo(`clientId "${given}" is not permitted on this connection`, ErrorCode.CLIENT_ID_NOT_PERMITTED, 400);
}

function incompatible(message: string): ErrorInfo {
  return new ErrorInfo(message, ErrorCode.INCOMPATIBLE_CREDENTIALS, 401);
}
