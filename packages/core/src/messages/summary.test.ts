import { describe, expect, it } from 'vitest';
import { AnnotationAction } from '@rowcast/protocol';
import type { AcceptedAnnotation } from '../node-api.js';
import { summarise } from './summary.js';

let seq = 0;
function a(type: string, clientId: string | undefined, name?: string, extra: Partial<AcceptedAnnotation> = {}): AcceptedAnnotation {
  seq++;
  const out: AcceptedAnnotation = {
    id: `a${seq}`,
    action: AnnotationAction.CREATE,
    serial: `s${String(seq).padStart(4, '0')}`,
    messageSerial: 'm',
    type,
    timestamp: seq,
    ...extra,
  };
  if (clientId !== undefined) out.clientId = clientId;
  if (name !== undefined) out.name = name;
  return out;
}
const del = (type: string, clientId: string | undefined, name?: string) => a(type, clientId, name, { action: AnnotationAction.DELETE });

describe('annotation summaries', () => {
  it('distinct.v1: each client once per name, many names per client; a delete removes the client from that name', () => {
    const t = 'reaction:distinct.v1';
    const { summary } = summarise([
      a(t, 'alice', '👍'),
      a(t, 'alice', '👍'),
      a(t, 'bob', '👍'),
      a(t, 'alice', '🎉'),
      del(t, 'bob', '👍'),
      del(t, 'alice', '🎉'),
    ]);
    expect(summary).toEqual({ [t]: { '👍': { total: 1, clientIds: ['alice'], clipped: false } } });
  });

  it('unique.v1: a new name moves the client', () => {
    const t = 'vote:unique.v1';
    const { summary } = summarise([a(t, 'alice', 'yes'), a(t, 'bob', 'yes'), a(t, 'alice', 'no')]);
    expect(summary[t]).toEqual({ yes: { total: 1, clientIds: ['bob'], clipped: false }, no: { total: 1, clientIds: ['alice'], clipped: false } });
  });

  it('multiple.v1: counts add up per client, unidentified ones apart; a delete removes the client for that name', () => {
    const t = 'clap:multiple.v1';
    const { summary } = summarise([
      a(t, 'alice', 'x', { count: 3 }),
      a(t, 'alice', 'x'),
      a(t, 'bob', 'x', { count: 2 }),
      a(t, undefined, 'x', { count: 5 }),
      del(t, 'bob', 'x'),
    ]);
    expect(summary[t]).toEqual({ x: { total: 9, clientIds: { alice: 4 }, totalUnidentified: 5, clipped: false, totalClientIds: 1 } });
  });

  it('flag.v1 and total.v1', () => {
    const { summary } = summarise([
      a('seen:flag.v1', 'alice'),
      a('seen:flag.v1', 'alice'),
      a('seen:flag.v1', 'bob'),
      del('seen:flag.v1', 'alice'),
      a('views:total.v1', undefined),
      a('views:total.v1', 'bob'),
      a('views:total.v1', undefined),
      del('views:total.v1', undefined),
    ]);
    expect(summary).toEqual({ 'seen:flag.v1': { total: 1, clientIds: ['bob'], clipped: false }, 'views:total.v1': { total: 2 } });
  });

  it('types of an unknown method are not summarised', () => {
    expect(summarise([a('x:mystery.v9', 'alice', 'n')]).summary).toEqual({});
  });
});
