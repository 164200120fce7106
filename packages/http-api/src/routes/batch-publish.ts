import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import { requireCaller } from '../authenticate.js';
import { toIncomingMessages } from '../incoming-messages.js';
import { sendBody } from '../respond.js';
import type { RouteHandler } from '../route.js';
import { publishAsCaller } from './publish.js';

/** Most channels one batch publish may address in total, so one request cannot fan out without bound. */
export const MAX_BATCH_CHANNELS = 100;

interface BatchSpec {
  channels: string[];
  messages: unknown;
}

function parseSpecs(body: unknown): BatchSpec[] {
  const specs = Array.isArray(body) ? body : [body];
  if (specs.length === 0) throw new ErrorInfo('A batch publish needs at least one {channels, messages} spec', ErrorCode.INVALID_REQUEST_BODY, 400);
  let channelCount = 0;
  const parsed = specs.map((spec): BatchSpec => {
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
      throw new ErrorInfo('Each batch spec must be {channels, messages}', ErrorCode.INVALID_REQUEST_BODY, 400);
    }
    const { channels, messages } = spec as Record<string, unknown>;
    const list = typeof channels === 'string' ? [channels] : channels;
    if (!Array.isArray(list) || list.length === 0 || !list.every((c) => typeof c === 'string' && c !== '')) {
      throw new ErrorInfo('Batch spec channels must be a channel name or a list of them', ErrorCode.INVALID_REQUEST_BODY, 400);
    }
    channelCount += list.length;
    return { channels: list as string[], messages };
  });
  if (channelCount > MAX_BATCH_CHANNELS) {
    throw new ErrorInfo(`A batch publish may address at most ${MAX_BATCH_CHANNELS} channels`, ErrorCode.BAD_REQUEST, 400);
  }
  return parsed;
}

/** Oldest `X-Ably-Version` whose batch answer is one BatchResult per spec; older clients get the flat shape. */
const BATCH_RESULT_VERSION = 3;

/**
 * The answer for clients of API version 2 and older (`request('POST', '/messages', 2, ...)`): one flat list of
 * per-channel results; when some channel failed, HTTP 400 with 40020 and that list as `batchResponse`.
 */
function sendFlat(r: Parameters<RouteHandler>[0], answers: Array<{ failureCount: number; results: object[] }>): void {
  const results = answers.flatMap((a) => a.results);
  if (answers.every((a) => a.failureCount === 0)) {
    sendBody(r.res, r.style, 201, results);
    return;
  }
  const error = new ErrorInfo('Batched publish request partially failed', ErrorCode.BATCH_ERROR, 400);
  r.res.setHeader('x-ably-errorcode', String(error.code));
  r.res.setHeader('x-ably-errormessage', error.message);
  sendBody(r.res, r.style, 400, { error: error.toJSON(), batchResponse: results });
}

function apiVersion(r: Parameters<RouteHandler>[0]): number {
  const header = r.req.headers['x-ably-version'];
  const version = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(version) && version > 0 ? version : BATCH_RESULT_VERSION;
}

/**
 * `POST /messages`: batch publish, `[{channels, messages}]` (or one spec). Each channel succeeds or fails on its
 * own; the answer is Ably's `[{successCount, failureCount, results:[{channel, messageId, serials}|{channel, error}]}]`
 * (API version 3 and later, what the SDK's `batchPublish` sends), or the flat shape of older versions.
 */
export const batchPublish: RouteHandler = async (r) => {
  const caller = requireCaller(r.req, r.url, r.deps.auth);
  const specs = parseSpecs(await r.body());
  const answers = [];
  for (const spec of specs) {
    const messages = toIncomingMessages(spec.messages);
    const results = await Promise.all(
      spec.channels.map(async (channel) => {
        try {
          // Each channel gets its own copies: the engine stamps fields onto the messages it accepts.
          return await publishAsCaller(
            r.deps.node,
            caller,
            channel,
            messages.map((m) => ({ ...m })),
          );
        } catch (err) {
          return { channel, error: ErrorInfo.from(err).toJSON() };
        }
      }),
    );
    const failureCount = results.filter((x) => 'error' in x).length;
    answers.push({ successCount: results.length - failureCount, failureCount, results });
  }
  if (apiVersion(r) < BATCH_RESULT_VERSION) sendFlat(r, answers);
  else sendBody(r.res, r.style, 201, answers);
};
