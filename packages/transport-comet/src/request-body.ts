import type { IncomingMessage } from 'node:http';
import { ErrorCode, ErrorInfo } from '@rowcast/protocol';

/**
 * Reads a `send` body, never more than `limit` bytes (the largest frame a WebSocket may carry): past it the
 * request is refused with 40009 as soon as it is known.
 */
export async function readLimitedBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const refuse = () => new ErrorInfo(`Request body larger than ${limit} bytes`, ErrorCode.MAX_MESSAGE_LENGTH_EXCEEDED, 413);
  if (Number(req.headers['content-length']) > limit) throw refuse();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw refuse();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
