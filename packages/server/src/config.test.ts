import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from './config.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'rowcast-config-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('config', () => {
  it('fills defaults for an empty config', () => {
    const c = parseConfig({});
    expect(c.port).toBe(8080);
    expect(c.dataDir).toBe('.rowcast');
    expect(c.keys).toEqual([]);
  });

  it('names every bad field in its error', () => {
    let message = '';
    try {
      parseConfig({ port: 'eighty', keys: [{ name: 'nodot', secret: 'fullsecret' }], realtime: { presenceLeaveDelayMs: -1, bogus: 1 } });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/port:/);
    expect(message).toMatch(/keys\.0\.name: must look like "appId\.keyId"/);
    expect(message).toMatch(/realtime\.presenceLeaveDelayMs:/);
    expect(message).toMatch(/realtime: .*bogus/);
  });

  it('refuses unknown keys by name: a misspelt section, a key field, a log option', () => {
    const message = (input: unknown) => {
      try {
        parseConfig(input);
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    };
    expect(message({ rule: [] })).toMatch(/\(root\): Unrecognized key: "rule"/);
    expect(message({ keys: [{ name: 'a.b', secret: 'fullsecret', capabilities: {} }] })).toMatch(/keys\.0: Unrecognized key: "capabilities"/);
    expect(message({ log: { level: 'info', colour: true } })).toMatch(/log: Unrecognized key: "colour"/);
    expect(message({ rules: [], apps: [], connector: {}, redis: {}, appId: 'app1', site: 'eu' })).toBe('');
  });

  it('keeps component sections it does not know for the components to validate', () => {
    expect(parseConfig({ connector: { x: 1 } }).connector).toEqual({ x: 1 });
  });

  it('reads --config, else ROWCAST_CONFIG, else ./rowcast.config.json; PORT and DATABASE_URL override', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'rowcast.config.json'), JSON.stringify({ port: 1111 }));
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ port: 2222 }));
    expect(loadConfig({ cwd: dir, env: {} }).config.port).toBe(1111);
    expect(loadConfig({ cwd: dir, env: { ROWCAST_CONFIG: 'other.json' } }).config.port).toBe(2222);
    expect(loadConfig({ cwd: dir, path: 'other.json', env: { ROWCAST_CONFIG: 'nope.json' } }).config.port).toBe(2222);
    const withEnv = loadConfig({ cwd: dir, env: { PORT: '3333', DATABASE_URL: 'postgres://x/y' } });
    expect(withEnv.config.port).toBe(3333);
    expect(withEnv.config.database?.url).toBe('postgres://x/y');
    expect(withEnv.configDir).toBe(dir);
  });

  it('explains a missing file and invalid JSON', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'broken.json'), '{ "port": ');
    expect(() => loadConfig({ cwd: dir, path: 'missing.json', env: {} })).toThrow(/Cannot read config file .*missing\.json/);
    expect(() => loadConfig({ cwd: dir, path: 'broken.json', env: {} })).toThrow(/not valid JSON/);
    expect(() => loadConfig({ cwd: dir, env: { PORT: 'x' } })).toThrow(/PORT/);
  });
});
