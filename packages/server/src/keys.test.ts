import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { resolveKeys } from './keys.js';

it('generates one full-rights key on first start and keeps it in the data directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rowcast-keys-'));
  try {
    const first = resolveKeys([], dir);
    expect(first.keys).toHaveLength(1);
    expect(first.generated?.capability).toEqual({ '*': ['*'] });
    expect(first.generated?.name).toMatch(/^[^.:]+\.[^.:]+$/);
    expect(statSync(join(dir, 'keys.json')).mode & 0o077).toBe(0);
    const second = resolveKeys([], dir);
    expect(second.keys).toEqual(first.keys);
    const configured = [{ name: 'a.b', secret: 'secretsecret', capability: { x: ['publish'] } }];
    expect(resolveKeys(configured, dir)).toEqual({ keys: configured });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
