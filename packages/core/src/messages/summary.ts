import {
  AnnotationAction,
  type MessageAnnotations,
  type SummaryClientIdCounts,
  type SummaryClientIdList,
  type SummaryEntry,
} from '@rowcast/protocol';
import type { AcceptedAnnotation } from '../node-api.js';

/**
 * The summary of a message's annotations (spec TM7, Ably's annotation docs), computed from every annotation of
 * the message in serial order, per type `<namespace>:<method>`:
 * - `total.v1`: how many annotations (a delete takes one off);
 * - `flag.v1`: the clients that flagged (once each; a delete removes the client);
 * - `distinct.v1`: per name, the clients that used it (once each per name);
 * - `unique.v1`: per name, the clients whose one current name it is (a new name moves the client);
 * - `multiple.v1`: per name, each client's count (summed; a delete removes the client's count for the name) and
 *   what unidentified clients added.
 * Types of another method are kept on the message but not summarised. Nothing is clipped.
 */
export function summarise(annotations: readonly AcceptedAnnotation[]): MessageAnnotations {
  const byType = new Map<string, AcceptedAnnotation[]>();
  for (const a of annotations) {
    let list = byType.get(a.type);
    if (!list) byType.set(a.type, (list = []));
    list.push(a);
  }
  const summary: Record<string, SummaryEntry> = {};
  for (const [type, list] of byType) {
    const entry = summariseType(type, list);
    if (entry) summary[type] = entry;
  }
  return { summary };
}

function summariseType(type: string, list: AcceptedAnnotation[]): SummaryEntry | undefined {
  const method = type.slice(type.lastIndexOf(':') + 1);
  switch (method) {
    case 'total.v1':
      return totalOf(list);
    case 'flag.v1':
      return flagOf(list);
    case 'distinct.v1':
      return namesOf(list, false);
    case 'unique.v1':
      return namesOf(list, true);
    case 'multiple.v1':
      return multipleOf(list);
    default:
      return undefined;
  }
}

const isDelete = (a: AcceptedAnnotation) => a.action === AnnotationAction.DELETE;

function totalOf(list: AcceptedAnnotation[]): { total: number } {
  let total = 0;
  for (const a of list) total = isDelete(a) ? Math.max(0, total - 1) : total + 1;
  return { total };
}

function clientList(clients: Iterable<string>): SummaryClientIdList {
  const clientIds = [...clients];
  return { total: clientIds.length, clientIds, clipped: false };
}

function flagOf(list: AcceptedAnnotation[]): SummaryClientIdList {
  const clients = new Set<string>();
  for (const a of list) {
    if (a.clientId === undefined) continue;
    if (isDelete(a)) clients.delete(a.clientId);
    else clients.add(a.clientId);
  }
  return clientList(clients);
}

/** distinct.v1 (a client may hold many names) and unique.v1 (one name per client). */
function namesOf(list: AcceptedAnnotation[], unique: boolean): Record<string, SummaryClientIdList> {
  const names = new Map<string, Set<string>>();
  for (const a of list) {
    if (a.clientId === undefined) continue;
    const name = a.name ?? '';
    if (isDelete(a)) {
      names.get(name)?.delete(a.clientId);
      continue;
    }
    if (unique) for (const clients of names.values()) clients.delete(a.clientId);
    let clients = names.get(name);
    if (!clients) names.set(name, (clients = new Set()));
    clients.add(a.clientId);
  }
  const out: Record<string, SummaryClientIdList> = {};
  for (const [name, clients] of names) if (clients.size) out[name] = clientList(clients);
  return out;
}

function multipleOf(list: AcceptedAnnotation[]): Record<string, SummaryClientIdCounts> {
  const names = new Map<string, { counts: Map<string, number>; unidentified: number }>();
  for (const a of list) {
    const name = a.name ?? '';
    let entry = names.get(name);
    if (!entry) names.set(name, (entry = { counts: new Map(), unidentified: 0 }));
    if (isDelete(a)) {
      if (a.clientId !== undefined) entry.counts.delete(a.clientId);
      continue;
    }
    const count = typeof a.count === 'number' && Number.isFinite(a.count) ? a.count : 1;
    if (a.clientId === undefined) entry.unidentified += count;
    else entry.counts.set(a.clientId, (entry.counts.get(a.clientId) ?? 0) + count);
  }
  const out: Record<string, SummaryClientIdCounts> = {};
  for (const [name, { counts, unidentified }] of names) {
    if (counts.size === 0 && unidentified === 0) continue;
    let total = unidentified;
    for (const n of counts.values()) total += n;
    out[name] = {
      total,
      clientIds: Object.fromEntries(counts),
      totalUnidentified: unidentified,
      clipped: false,
      totalClientIds: counts.size,
    };
  }
  return out;
}
