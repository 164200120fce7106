import { describe, expect, it } from 'vitest';
import { ErrorInfo } from '@rowcast/protocol';
import type { Operation } from './api.js';
import { canonicalCapability, capabilityAllows, intersectCapabilities, parseCapability } from './capability.js';

describe('capabilityAllows', () => {
  const table: Array<[Record<string, string[]>, string, Operation, boolean]> = [
    [{ '*': ['*'] }, 'anything', 'publish', true],
    [{ '*': ['*'] }, 'ns:deep:name', 'history', true],
    [{ '*': ['subscribe'] }, 'room1', 'publish', false],
    [{ 'room*': ['subscribe', 'presence'] }, 'room1', 'subscribe', true],
    [{ 'room*': ['subscribe', 'presence'] }, 'room', 'presence', true],
    [{ 'room*': ['subscribe', 'presence'] }, 'room1', 'publish', false],
    [{ 'room*': ['subscribe', 'presence'] }, 'lobby', 'subscribe', false],
    [{ 'room*': ['subscribe'] }, '[?rewind=2m]room7', 'subscribe', true],
    [{ 'room*': ['subscribe'] }, '[?rewind=2m]lobby', 'subscribe', false],
    [{ 'chat:*': ['publish'] }, 'chat:general', 'publish', true],
    [{ 'chat:*': ['publish'] }, 'chatter', 'publish', false],
    [{ exact: ['history'] }, 'exact', 'history', true],
    [{ exact: ['history'] }, 'exactly', 'history', false],
    [{ a: ['publish'], b: ['*'] }, 'b', 'presence', true],
    [{}, 'a', 'subscribe', false],
  ];
  it.each(table)('%j on %s for %s -> %s', (cap, channel, op, expected) => {
    expect(capabilityAllows(cap, channel, op)).toBe(expected);
  });
});

describe('parseCapability', () => {
  it('accepts JSON text and objects', () => {
    expect(parseCapability('{"a":["publish","publish"]}')).toEqual({ a: ['publish'] });
    expect(parseCapability({ '*': ['*'] })).toEqual({ '*': ['*'] });
  });
  it.each([
    ['not json', 'not valid JSON'],
    ['[]', 'must be an object'],
    ['{"a":[]}', 'non-empty list'],
    ['{"a":"publish"}', 'non-empty list'],
    ['{"a":["fly"]}', 'unknown operation'],
    ['{"":["publish"]}', 'empty resource'],
  ])('refuses %s with 40000', (text, words) => {
    try {
      parseCapability(text);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ErrorInfo);
      expect((err as ErrorInfo).code).toBe(40000);
      expect((err as ErrorInfo).message).toContain(words);
    }
  });
});

describe('canonicalCapability', () => {
  it('sorts resources and operations like the SDK c14n', () => {
    expect(canonicalCapability({ b: ['subscribe', 'publish'], a: ['presence', 'history'] })).toBe(
      '{"a":["history","presence"],"b":["publish","subscribe"]}',
    );
  });
});

describe('intersectCapabilities', () => {
  it('narrows a wildcard request to the key', () => {
    expect(intersectCapabilities({ '*': ['*'] }, { 'room*': ['subscribe', 'presence'] })).toEqual({
      'room*': ['subscribe', 'presence'],
    });
  });
  it('keeps the requested narrower resource and common operations', () => {
    expect(intersectCapabilities({ room1: ['publish', 'subscribe'] }, { 'room*': ['subscribe'] })).toEqual({
      room1: ['subscribe'],
    });
    expect(intersectCapabilities({ 'room1*': ['*'] }, { 'room*': ['subscribe'] })).toEqual({ 'room1*': ['subscribe'] });
  });
  it('refuses an empty intersection with 40160', () => {
    expect(() => intersectCapabilities({ lobby: ['subscribe'] }, { 'room*': ['subscribe'] })).toThrow(expect.objectContaining({ code: 40160 }));
    expect(() => intersectCapabilities({ room1: ['publish'] }, { 'room*': ['subscribe'] })).toThrow(expect.objectContaining({ code: 40160 }));
  });
});
