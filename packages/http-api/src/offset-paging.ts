/**
 * The `Link` header of a list paged by offset (`cursor` = index of the page's first item): `first`, and `next`
 * while items remain. `resource` is the last path segment, so the SDK resolves `./<resource>?...` against the
 * request's own path.
 */
export function offsetLinkHeader(resource: string, base: URLSearchParams, offset: number, limit: number, total: number): string {
  const link = (p: URLSearchParams, rel: string) => `<./${resource}?${p.toString()}>; rel="${rel}"`;
  const links = [link(base, 'first')];
  if (offset + limit < total) {
    const next = new URLSearchParams(base);
    next.set('cursor', String(offset + limit));
    links.push(link(next, 'next'));
  }
  return links.join(', ');
}
