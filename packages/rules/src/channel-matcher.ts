import type { RuleConfig, RuleSource } from './config.js';

const NONE: readonly RuleConfig[] = Object.freeze([]);

/** Channel names remembered before the cache is cleared (a bound against unbounded channel-name churn). */
const CACHE_LIMIT = 50_000;

/**
 * Which rules apply to a channel, for one source. The first lookup of a channel runs every rule's regular
 * expression; later lookups are one Map read, so channels no rule matches cost a hash lookup per publish.
 */
export class ChannelMatcher {
  private readonly compiled: Array<{ rule: RuleConfig; pattern: RegExp }>;
  private readonly cache = new Map<string, readonly RuleConfig[]>();

  constructor(rules: readonly RuleConfig[], source: RuleSource) {
    this.compiled = rules.filter((rule) => rule.source === source).map((rule) => ({ rule, pattern: new RegExp(rule.channelFilter) }));
  }

  /** True when no rule has this source: the hook can skip the event without looking at the channel. */
  get empty(): boolean {
    return this.compiled.length === 0;
  }

  /** Rules whose channel filter matches `channel` (a shared frozen empty array when none). */
  match(channel: string): readonly RuleConfig[] {
    const cached = this.cache.get(channel);
    if (cached) return cached;
    const matched = this.compiled.filter(({ pattern }) => pattern.test(channel)).map(({ rule }) => rule);
    const result = matched.length === 0 ? NONE : Object.freeze(matched);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(channel, result);
    return result;
  }
}
