import { describe, expect, it } from 'vitest';
import { redisConfigSchema } from './engine-adapters.js';

/** What an operator gets for the `redis` section: one server by URL, or Sentinels and the primary's name. */
describe('redis config', () => {
  const issues = (section: unknown) => {
    const parsed = redisConfigSchema.safeParse(section);
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('takes one server by URL, with the defaults', () => {
    expect(redisConfigSchema.parse({ url: 'redis://127.0.0.1:6379' })).toEqual({
      url: 'redis://127.0.0.1:6379',
      prefix: 'rowcast:',
      livenessTtlMs: 3000,
    });
  });

  it('takes Sentinels and the name of the primary they watch', () => {
    const section = {
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26379 },
      ],
      name: 'mymaster',
      password: 'pw',
    };
    expect(redisConfigSchema.parse(section)).toMatchObject(section);
  });

  it('refuses a section that names no server, names both, or Sentinels without a name', () => {
    expect(issues({})).toEqual(['url: required (or sentinels and name)']);
    expect(issues({ url: 'redis://h', sentinels: [{ host: 'h', port: 26379 }], name: 'm' })).toEqual(['url: give either url or sentinels, not both']);
    expect(issues({ sentinels: [{ host: 'h', port: 26379 }] })).toEqual(['name: required with sentinels: the name of the primary they watch']);
    expect(issues({ sentinels: [{ host: 'h', port: 0 }], name: 'm' })[0]).toMatch(/^sentinels\.0\.port: /);
  });
});
