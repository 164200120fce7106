import { ErrorCode, ErrorInfo } from '@rowcast/protocol';
import { MAX_LIMIT } from '../history-query.js';

/** `limit` (1..1000) and the opaque `cursor` of a list paged by serial (versions, annotations). */
export function pageQuery(params: URLSearchParams): { limit?: number; cursor?: string } {
  const out: { limit?: number; cursor?: string } = {};
  const limit = params.get('limit');
  if (limit !== null && limit !== '') {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) {
      throw new ErrorInfo(`Invalid value for limit: an integer from 1 to ${MAX_LIMIT}`, ErrorCode.INVALID_PARAMETER_VALUE, 400);
    }
    out.limit = n;
  }
  const cursor = params.get('cursor');
  if (cursor) out.cursor = cursor;
  return out;
}

/**
 * The `Link` header of such a list, as the SDK follows it: `first` (the request without cursor), `current`, and
 * `next` (the cursor after the page's last item) while more follow. `resource` is the last path segment.
 */
export function pageLink(resource: string, params: URLSearchParams, next: string | undefined): string {
  const link = (p: URLSearchParams, rel: string) => `<./${resource}?${p.toString()}>; rel="${rel}"`;
  const first = new URLSearchParams(params);
  first.delete('cursor');
  const links = [link(first, 'first'), link(params, 'current')];
  if (next !== undefined) {
    const p = new URLSearchParams(params);
    p.set('cursor', next);
    links.push(link(p, 'next'));
  }
  return links.join(', ');
}
