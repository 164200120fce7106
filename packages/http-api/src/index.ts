export { createRestHandler } from './rest-handler.js';
export type { RestDeps } from './route.js';
export type { StatsDeps } from './routes/stats.js';
export { DEFAULT_MAX_BODY_BYTES } from './read-body.js';
export { sendError, type ResponseStyle } from './respond.js';
