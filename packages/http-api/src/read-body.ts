import type { IncomingMessage } from 'node:http';
import { ErrorCode, ErrorInfo } from '@rowcast/protocol';

/** Default cap on a request body: generous for a batch of max-size messages, yet bounded. */
export const DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024;

function tooLarge(limit: number): ErrorInfo {
  return new ErrorInfo(`Request body larger than ${limit} bytes`, ErrorCode.MAX_MESSAGE_LENGTH_EXCEEDED, 413);
}

/**
 * Reads a request body into memory, never more than `limit` bytes: a declared content-length over the limit is
 * refused before reading, and a stream that grows past it is refused as soon as it does (40009, HTTP 413).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new ErrorInfo(`Request body could not be read: ${err.message}`, ErrorCode.BAD_REQUEST, 400));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
