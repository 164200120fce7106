import { capabilityAllows, type Operation } from '@rowcast/core';
import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import type { RestCaller } from '../authenticate.js';

/** Throws 40160 (HTTP 401, as Ably) unless the caller's capability allows `operation` on `channel`. */
export function requireCapability(caller: RestCaller, channel: string, operation: Operation): void {
  if (!capabilityAllows(caller.credentials.capability, channel, operation)) {
    throw new ErrorInfo(`Action not permitted: ${operation} on channel "${channel}"`, ErrorCode.OPERATION_NOT_PERMITTED, 401);
  }
}
