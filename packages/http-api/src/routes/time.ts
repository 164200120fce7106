import { sendBody } from '../respond.js';
import type { RouteHandler } from '../route.js';

/** `GET /time`: the server clock as `[ms]`, no auth (the SDK's `time()` and `queryTime`). */
export const getTime: RouteHandler = async ({ res, style }) => {
  sendBody(res, style, 200, [Date.now()]);
};
