import { describe, expect, it } from 'vitest';
import { rulesSectionSchema } from './config.js';
import { backoffMs } from './rule-lane.js';
import { ChannelMatcher } from './channel-matcher.js';

describe('rules config', () => {
  it('accepts the issue example and fills in defaults', () => {
    const rules = rulesSectionSchema.parse([
      {
        id: 'chat-writer',
        channelFilter: '^outgoing-chat$',
        source: 'channel.message',
        enveloped: true,
        target: { type: 'function', module: './apps/chat/function.js' },
      },
      {
        id: 'audit',
        channelFilter: '^orders:.*',
        source: 'channel.message',
        target: { type: 'http', url: 'http://127.0.0.1:9000/hook', signingKey: 'app1.full' },
      },
    ]);
    expect(rules[0]).toMatchObject({
      enveloped: true,
      target: { type: 'function', module: './apps/chat/function.js', handler: 'handler', timeoutMs: 30_000 },
      retry: { attempts: 10, backoffBaseMs: 1_000, backoffMaxMs: 60_000 },
      batch: { maxMessages: 1 },
    });
    expect(rules[1]).toMatchObject({ enveloped: true, target: { type: 'http', timeoutMs: 15_000, signingKey: 'app1.full' } });
  });

  it("accepts Ably's header list form", () => {
    const [rule] = rulesSectionSchema.parse([
      { id: 'h', channelFilter: '', target: { type: 'http', url: 'https://example.com/x', headers: [{ name: 'X-A', value: '1' }] } },
    ]);
    expect(rule.target).toMatchObject({ headers: { 'X-A': '1' } });
  });

  it('names the bad field: invalid regex, duplicate id, unknown target type, bad URL', () => {
    const result = rulesSectionSchema.safeParse([
      { id: 'a', channelFilter: '^(unclosed', target: { type: 'function', module: 'f.js' } },
      { id: 'a', channelFilter: 'x', target: { type: 'lambda', module: 'f.js' } },
      { id: 'b', channelFilter: 'x', target: { type: 'http', url: 'ftp://nope' } },
    ]);
    expect(result.success).toBe(false);
    const issues = result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues).toContainEqual(expect.stringMatching(/^0\.channelFilter: channelFilter is not a valid regular expression/));
    expect(issues).toContainEqual(expect.stringMatching(/^1\.target\.type/));
    expect(issues).toContainEqual(expect.stringMatching(/^2\.target\.url/));
    // the duplicate id is reported once the rules themselves parse
    const dup = rulesSectionSchema.safeParse([
      { id: 'a', target: { type: 'function', module: 'f.js' } },
      { id: 'a', target: { type: 'function', module: 'g.js' } },
    ]);
    expect(dup.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['1.id: duplicate rule id "a"']);
  });
});

describe('batch config', () => {
  it('takes batch.maxMessages 1..1000 for enveloped rules only', () => {
    const [rule] = rulesSectionSchema.parse([{ id: 'b', batch: { maxMessages: 100 }, target: { type: 'function', module: 'f.js' } }]);
    expect(rule.batch).toEqual({ maxMessages: 100 });
    const issues = (rules: unknown) => rulesSectionSchema.safeParse(rules).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues([{ id: 'b', batch: { maxMessages: 0 }, target: { type: 'function', module: 'f.js' } }])).toContainEqual(
      expect.stringMatching(/^0\.batch\.maxMessages: /),
    );
    expect(issues([{ id: 'b', batch: { maxMessages: 1001 }, target: { type: 'function', module: 'f.js' } }])).toContainEqual(
      expect.stringMatching(/^0\.batch\.maxMessages: /),
    );
    expect(issues([{ id: 'b', enveloped: false, batch: { maxMessages: 2 }, target: { type: 'http', url: 'http://127.0.0.1:1/x' } }])).toEqual([
      '0.batch.maxMessages: batch.maxMessages above 1 needs enveloped: true',
    ]);
    expect(issues([{ id: 'b', enveloped: false, batch: { maxMessages: 1 }, target: { type: 'http', url: 'http://127.0.0.1:1/x' } }])).toBeUndefined();
  });
});

describe('backoff', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffMs(n, 1000, 60_000))).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  });
});

describe('channel matcher', () => {
  it('matches regular expressions as Ably does and answers repeated lookups from its cache', () => {
    const rules = rulesSectionSchema.parse([
      { id: 'exact', channelFilter: '^public$', target: { type: 'function', module: 'f.js' } },
      { id: 'prefix', channelFilter: '^public.*', target: { type: 'function', module: 'f.js' } },
      { id: 'suffix', channelFilter: ':public$', target: { type: 'function', module: 'f.js' } },
      { id: 'presence', channelFilter: '', source: 'channel.presence', target: { type: 'function', module: 'f.js' } },
    ]);
    const messages = new ChannelMatcher(rules, 'channel.message');
    const ids = (channel: string) => messages.match(channel).map((r) => r.id);
    expect(ids('public')).toEqual(['exact', 'prefix']);
    expect(ids('public:events')).toEqual(['prefix']);
    expect(ids('mychannel:public')).toEqual(['suffix']);
    expect(ids('private')).toEqual([]);
    expect(messages.match('private')).toBe(messages.match('other')); // the shared empty result
    expect(messages.match('public')).toBe(messages.match('public')); // cached
    const presence = new ChannelMatcher(rules, 'channel.presence');
    expect(presence.match('anything').map((r) => r.id)).toEqual(['presence']);
    expect(new ChannelMatcher(rules.slice(0, 3), 'channel.presence').empty).toBe(true);
  });
});
