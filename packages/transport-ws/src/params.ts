import { connectParamsFromQuery, type ConnectParams } from '@rowcast/core';

/** Reads the connect parameters the SDK puts on the WebSocket URL (see core's connectParamsFromQuery). */
export function parseConnectParams(url: URL): ConnectParams {
  return connectParamsFromQuery(url.searchParams);
}
