import { describe, expect, it } from 'vitest';
import type { AcceptedMessage, AcceptedPresence } from '../node-api.js';
import type { ChannelEvent } from '../ports/events.js';
import type { Logger } from '../ports/logger.js';
import { deliverableEvents, deliverableMembers } from './deliverable.js';

function deep(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
}

function message(name: string, extras?: Record<string, unknown>): AcceptedMessage {
  return { id: name, name, data: 'x', timestamp: 1, serial: '', ...(extras ? { extras } : {}) };
}

function event(serial: string, messages: AcceptedMessage[]): ChannelEvent {
  return { kind: 'message', channel: 'c', id: serial, serial, timestamp: 1, messages };
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, error() {}, warn: (_o, msg) => void warnings.push(String(msg)) };
}

describe('deliverable', () => {
  it('returns the very same events when all are deliverable, without a warning', () => {
    const events = [event('1', [message('a', { push: { title: 't' } })]), event('2', [message('b')])];
    const logger = recordingLogger();
    expect(deliverableEvents(events, logger)).toBe(events);
    expect(logger.warnings).toEqual([]);
  });

  it('drops undecodable items, and events left empty, in order, without changing what the store holds', () => {
    const mixed = event('2', [message('keep'), message('poison', deep(150))]);
    const events = [event('1', [message('a')]), mixed, event('3', [message('only-poison', deep(100))]), event('4', [message('z')])];
    const logger = recordingLogger();
    const out = deliverableEvents(events, logger);
    expect(out.map((e) => [e.serial, e.messages!.map((m) => m.name)])).toEqual([
      ['1', ['a']],
      ['2', ['keep']],
      ['4', ['z']],
    ]);
    expect(mixed.messages).toHaveLength(2);
    expect(logger.warnings).toHaveLength(2);
  });

  it('drops undecodable presence members with a warning', () => {
    const member = (clientId: string, extras?: Record<string, unknown>): AcceptedPresence => ({
      id: clientId,
      action: 1,
      clientId,
      connectionId: 'k',
      timestamp: 1,
      ...(extras ? { extras } : {}),
    });
    const logger = recordingLogger();
    const out = deliverableMembers('c', [member('ok'), member('ghost', deep(150))], logger);
    expect(out.map((m) => m.clientId)).toEqual(['ok']);
    expect(logger.warnings).toHaveLength(1);
  });
});
