import { describe, expect, it } from 'vitest';
import { linkHeader, parseHistoryQuery } from './history-query.js';
import { toIncomingMessages } from './incoming-messages.js';

/** The Link format the SDK parses (paginatedresource.ts): one `<./name?query>; rel="x"` per comma. */
function sdkRelLinks(header: string): Record<string, Record<string, string>> {
  const rels: Record<string, Record<string, string>> = {};
  for (const part of header.split(',')) {
    const m = part.match(/^\s*<(.+)>;\s*rel="(\w+)"$/);
    const q = m?.[1]?.match(/^\.\/(\w+)\?(.*)$/);
    if (m && q?.[2]) rels[m[2]!] = Object.fromEntries(new URLSearchParams(q[2]));
  }
  return rels;
}

describe('history query and Link header', () => {
  it('defaults to backwards, 100 per page', () => {
    expect(parseHistoryQuery(new URLSearchParams())).toEqual({ direction: 'backwards', limit: 100 });
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['direction=sideways', 'direction'],
    ['start=yesterday', 'start'],
    ['start=10&end=5', 'start'],
  ])('refuses %s with 40003', (qs, field) => {
    expect(() => parseHistoryQuery(new URLSearchParams(qs))).toThrow(expect.objectContaining({ code: 40003 }));
    expect(() => parseHistoryQuery(new URLSearchParams(qs))).toThrow(new RegExp(field));
  });

  it('links first, current and next so the SDK can follow them, cursor included', () => {
    const query = parseHistoryQuery(new URLSearchParams('start=5&limit=10&direction=forwards&cursor=a,b'));
    const rels = sdkRelLinks(linkHeader('messages', query, { items: [], next: 'c,d' }));
    expect(rels.first).toEqual({ start: '5', direction: 'forwards', limit: '10' });
    expect(rels.current).toEqual({ start: '5', direction: 'forwards', limit: '10', cursor: 'a,b' });
    expect(rels.next).toEqual({ start: '5', direction: 'forwards', limit: '10', cursor: 'c,d' });
  });

  it('has no next link on the last page', () => {
    const rels = sdkRelLinks(linkHeader('history', parseHistoryQuery(new URLSearchParams()), { items: [] }));
    expect(Object.keys(rels).sort()).toEqual(['current', 'first']);
  });
});

describe('incoming REST messages', () => {
  it('decodes base64 binary, keeps json-encoded text, stringifies raw objects', () => {
    const [bin, json, raw] = toIncomingMessages([
      { name: 'b', data: 'AAEC', encoding: 'base64' },
      { name: 'j', data: '{"a":1}', encoding: 'json' },
      { name: 'r', data: { a: 1 } },
    ]);
    expect(bin).toEqual({ name: 'b', data: Buffer.from([0, 1, 2]) });
    expect(json).toEqual({ name: 'j', data: '{"a":1}', encoding: 'json' });
    expect(raw).toEqual({ name: 'r', data: '{"a":1}', encoding: 'json' });
  });

  it.each([[[]], [[1]], [[{ name: 5 }]], [[{ data: 7 }]], [undefined]])('refuses %j with 40001', (body) => {
    expect(() => toIncomingMessages(body)).toThrow(expect.objectContaining({ code: 40001 }));
  });
});
