import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, messageEvent } from '../testing/helpers.js';
import { engineHarness } from '../testing/engine-harness.js';

let h: Awaited<ReturnType<typeof engineHarness>>;
const startEngine = (...args: Parameters<typeof h.startEngine>) => h.startEngine(...args);
const rowsWhen = (ruleId: string, count: number) => h.rowsWhen(ruleId, count);

beforeAll(async () => {
  h = await engineHarness('rules_fn');
});

afterAll(async () => {
  await h?.close();
});

/** Timeouts here are generous on purpose: a call is only hung when far beyond what a loaded CI box needs. */
describe('function targets: Lambda-style modules in worker threads', () => {
  it('survives functions that hang, throw or leave rejections behind; gives up into dead letters', async () => {
    const { engine, lines } = await startEngine([
      {
        id: 'bad',
        channelFilter: '^bad:',
        target: { type: 'function', module: 'misbehaving-function.mjs', timeoutMs: 1_000 },
        retry: { attempts: 2, backoffBaseMs: 10, backoffMaxMs: 10 },
      },
    ]);
    try {
      for (const name of ['hang', 'throw', 'reject-later']) await engine.hook(messageEvent(`bad:${name}`, [{ name }]));
      await engine.hook(messageEvent('bad:hang', [{ name: 'after-hang' }]));

      const rows = await rowsWhen('bad', 2);
      expect(rows.map((r) => r.name).sort()).toEqual(['after-hang', 'reject-later']);
      const dead = await eventually(async () => {
        const letters = (await engine.deadLetters()).filter((d) => d.ruleId === 'bad');
        return letters.length >= 2 ? letters : undefined;
      }, 'two dead letters');
      const reasons = Object.fromEntries(dead.map((d) => [(d.item as { name: string }).name, d.lastError]));
      expect(reasons).toEqual({ hang: 'function timed out after 1000 ms', throw: 'function threw TypeError: thrown on purpose' });
      expect(dead.every((d) => d.attempts === 2)).toBe(true);
      // a hung promise leaves the worker responsive: it is kept (and its module state with it)
      expect(lines.some((l) => l.msg === 'function worker does not respond after a timeout; replacing it')).toBe(false);
      expect(lines.filter((l) => l.msg === 'rule delivery failed for the last time; moved to dead letters')).toHaveLength(2);
      expect(lines.some((l) => String(l.msg).includes('stray rejection on purpose'))).toBe(true);
      const { rows: table } = await h.sql.query(`SELECT count(*)::int AS n FROM rowcast_rule_dead_letters WHERE rule_id = 'bad'`);
      expect(table[0].n).toBe(2);
    } finally {
      await engine.stop();
    }
  });

  it('replaces a worker stuck in a busy loop; the next message on the channel is delivered', async () => {
    const { engine, lines } = await startEngine([
      {
        id: 'spin',
        channelFilter: '^spin$',
        target: { type: 'function', module: 'misbehaving-function.mjs', timeoutMs: 1_000 },
        retry: { attempts: 2, backoffBaseMs: 10, backoffMaxMs: 10 },
      },
    ]);
    try {
      await engine.hook(messageEvent('spin', [{ name: 'spin' }, { name: 'after-spin' }]));
      const rows = await rowsWhen('spin', 1);
      expect(rows.map((r) => r.name)).toEqual(['after-spin']);
      const [dead] = (await engine.deadLetters()).filter((d) => d.ruleId === 'spin');
      expect(dead).toMatchObject({ attempts: 2, lastError: 'function timed out after 1000 ms' });
      expect(lines.filter((l) => l.msg === 'function worker does not respond after a timeout; replacing it')).toHaveLength(2);
    } finally {
      await engine.stop();
    }
  });

  it('restarts a function that runs out of memory; the server and the next message are fine', async () => {
    const { engine, lines } = await startEngine([
      {
        id: 'hog',
        channelFilter: '^hog$',
        target: { type: 'function', module: 'misbehaving-function.mjs', memoryMb: 32 },
        retry: { attempts: 1 },
      },
    ]);
    try {
      await engine.hook(messageEvent('hog', [{ name: 'hog' }, { name: 'after-hog' }]));
      const rows = await rowsWhen('hog', 1);
      expect(rows.map((r) => r.name)).toEqual(['after-hog']);
      const [dead] = (await engine.deadLetters()).filter((d) => d.ruleId === 'hog');
      expect(dead.lastError).toMatch(/function worker crashed: .*memory/i);
      expect(lines.some((l) => l.msg === 'rule delivery failed for the last time; moved to dead letters')).toBe(true);
    } finally {
      await engine.stop();
    }
  });

  it('runs CommonJS handlers in the callback style', async () => {
    const { engine } = await startEngine([
      {
        id: 'callback',
        channelFilter: '^cb$',
        target: { type: 'function', module: 'callback-function.cjs' },
        retry: { attempts: 1 },
      },
    ]);
    try {
      await engine.hook(messageEvent('cb', [{ name: 'fail' }, { name: 'works', data: 'x' }]));
      const rows = await rowsWhen('callback', 1);
      expect(rows.map((r) => r.name)).toEqual(['works']);
      const dead = await eventually(
        async () => ((await engine.deadLetters()).some((d) => d.ruleId === 'callback') ? true : undefined),
        'a dead letter',
      );
      expect(dead).toBe(true);
    } finally {
      await engine.stop();
    }
  });

  it('hands a non-enveloped function the bare data: objects parsed, binary as a Buffer, text as is', async () => {
    const { engine } = await startEngine([
      { id: 'bare', channelFilter: '^bare$', enveloped: false, target: { type: 'function', module: 'bare-function.mjs' } },
    ]);
    try {
      await engine.hook(
        messageEvent('bare', [
          { name: 'obj', data: '{"a":[1,2]}', encoding: 'json' },
          { name: 'bin', data: new Uint8Array([0, 7, 255]) },
          { name: 'txt', data: 'hello' },
        ]),
      );
      const rows = await rowsWhen('bare', 3);
      expect(rows.map((r) => r.envelope)).toEqual([
        { kind: 'object', value: { a: [1, 2] } },
        { kind: 'buffer', bytes: [0, 7, 255] },
        { kind: 'string', value: 'hello' },
      ]);
    } finally {
      await engine.stop();
    }
  });

  it('with transaction: true applies each message exactly once: a throw rolls its writes back, a late commit is not repeated', async () => {
    const { engine } = await startEngine([
      {
        id: 'tx',
        channelFilter: '^tx$',
        target: { type: 'function', module: 'transactional-function.mjs', transaction: true, timeoutMs: 1_000, env: { DELAY_MS: '1500' } },
        retry: { attempts: 5, backoffBaseMs: 10, backoffMaxMs: 10 },
      },
    ]);
    try {
      await engine.hook(messageEvent('tx', [{ name: 'first' }, { name: 'fail-after-write' }, { name: 'slow-after-write' }, { name: 'last' }]));
      await rowsWhen('tx', 4);
      await eventually(async () => ((await engine.queued()) === 0 ? true : undefined), 'the queue drained');
      const rows = await h.logRows('tx');
      expect(rows.map((r) => [r.name, r.deliveries])).toEqual([
        ['first', 1],
        ['fail-after-write', 1],
        ['slow-after-write', 1],
        ['last', 1],
      ]);
      const { rows: seen } = await h.sql.query(`SELECT name, attempt_seen FROM rule_log WHERE rule_id = 'tx' ORDER BY applied`);
      // the failed attempt's write was rolled back; the slow one committed after its timeout, and its retry
      // found the items gone and did not run the handler again
      expect(seen.map((r) => r.attempt_seen)).toEqual([1, 2, 1, 1]);
    } finally {
      await engine.stop();
    }
  });

  it('refuses transaction: true without the durable queue', async () => {
    await expect(
      startEngine([{ id: 'txmem', channelFilter: 'x', target: { type: 'function', module: 'transactional-function.mjs', transaction: true } }], ''),
    ).rejects.toThrow(/rule "txmem": "transaction": true needs the durable queue/);
  });

  it('refuses to start when a function module is missing', async () => {
    await expect(startEngine([{ id: 'missing', channelFilter: 'x', target: { type: 'function', module: 'nope.mjs' } }])).rejects.toThrow(
      /rule "missing": function module .*nope\.mjs does not exist/,
    );
  });
});
