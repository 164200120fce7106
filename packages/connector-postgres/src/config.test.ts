import { describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MESSAGE_NAME, parseConnectorConfig } from './config.js';
import { loadConnectorConfig } from './config-load.js';

/** Verbatim copies of the original connector's config files (shared/fixtures/original-connector). */
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/original-connector');
const fixture = (name: string) => join(FIXTURES, name);

describe('connector configuration', () => {
  it("reads the original's JSON file verbatim, passing dbConfig to pg as is", async () => {
    const c = await loadConnectorConfig(fixture('default.json'), {});
    expect(c.db).toEqual({ host: 'db', port: 5432, user: 'postgres', password: 'postgres', database: 'mydb' });
    expect(c.mappings.map((m) => [m.tablename, m.operation, m.channel])).toEqual([
      ['users', 'INSERT', 'ably-users-added'],
      ['users', 'UPDATE', 'ably-users-updated'],
      ['users', 'DELETE', 'ably-users-removed'],
    ]);
    expect(c.apiKey).toBe('API_KEY');
    expect(c.messageName).toBe(DEFAULT_MESSAGE_NAME);
  });

  it("reads the original's .env file verbatim; variables already set win, as with dotenv", async () => {
    const c = await loadConnectorConfig(fixture('example.env'), { DB_HOST: '10.1.2.3' });
    expect(c.db).toEqual({ host: '10.1.2.3', port: 5432, user: 'postgres', password: 'postgres', database: 'mydb' });
    expect(c.mappings).toHaveLength(3);
    expect(c.mappings[2]).toMatchObject({ tablename: 'users', operation: 'DELETE', channel: 'ably-users-removed' });
  });

  it('falls back to DATABASE_URL when dbConfig is left blank (chat.json as published)', async () => {
    const c = await loadConnectorConfig(fixture('chat.json'), { DATABASE_URL: 'postgres://u@h:1/d' });
    expect(c.db).toEqual({ connectionString: 'postgres://u@h:1/d' });
    await expect(loadConnectorConfig(fixture('chat.json'), {})).rejects.toThrow(/no database given/);
  });

  it('without a file reads the environment alone (DATABASE_URL when no DB_* is set)', async () => {
    const c = await loadConnectorConfig(undefined, {
      DATABASE_URL: 'postgres://u@h:1/d',
      ABLY_API_KEY: 'a.b:c',
      ABLY_CONNECTOR: '[{"tablename":"t","ablychannelname":"c","operation":"update"}]',
      CONNECTOR_SLOT_NAME: 'my_slot',
      ABLY_ENDPOINT: 'http://127.0.0.1:8080',
    });
    expect(c).toMatchObject({
      db: { connectionString: 'postgres://u@h:1/d' },
      apiKey: 'a.b:c',
      slotName: 'my_slot',
      endpoint: 'http://127.0.0.1:8080',
    });
    expect(c.mappings).toEqual([{ tablename: 't', operation: 'UPDATE', channel: 'c', source: 'connector[0]' }]);
    await expect(loadConnectorConfig(undefined, { DATABASE_URL: 'postgres://x/y' })).rejects.toThrow(/ABLY_CONNECTOR/);
  });

  it('accepts operations in any case and refuses an unknown one clearly', () => {
    const base = { databaseUrl: 'postgres://x/y' };
    const ok = parseConnectorConfig({ ...base, connector: [{ tablename: 't', ablychannelname: 'c', operation: 'delete' }] });
    expect(ok.mappings[0].operation).toBe('DELETE');
    expect(() => parseConnectorConfig({ ...base, connector: [{ tablename: 't', ablychannelname: 'c', operation: 'UPSERT' }] })).toThrow(
      / {2}connector\.0\.operation: operation must be INSERT, UPDATE or DELETE \(any case\), got "UPSERT"/,
    );
    expect(() => parseConnectorConfig({ ...base, connector: [] })).toThrow(/at least one/);
    expect(() => parseConnectorConfig({ ...base, connector: [{ tablename: 't', operation: 'INSERT' }] })).toThrow(/ablychannelname/);
  });

  it('needs a key to publish to an endpoint', () => {
    const input = { databaseUrl: 'postgres://x/y', connector: [{ tablename: 't', ablychannelname: 'c', operation: 'INSERT' }] };
    expect(() => parseConnectorConfig({ ...input, ably: { endpoint: 'http://127.0.0.1:1' } })).toThrow(/apiKey/);
    expect(parseConnectorConfig({ ...input, ably: { endpoint: 'http://127.0.0.1:1', apiKey: 'a.b:c' } }).endpoint).toBe('http://127.0.0.1:1');
  });

  it("takes the SDK's endpoint, port and tls options under `ably` and publishes to that host and port", () => {
    const input = { databaseUrl: 'postgres://x/y', connector: [{ tablename: 't', ablychannelname: 'c', operation: 'INSERT' }] };
    const at = (ably: Record<string, unknown>) => parseConnectorConfig({ ...input, ably: { apiKey: 'a.b:c', ...ably } }).endpoint;
    expect(at({ endpoint: '127.0.0.1', port: 8080, tls: false })).toBe('http://127.0.0.1:8080');
    expect(at({ endpoint: 'rowcast.example.com', port: 8443 })).toBe('https://rowcast.example.com:8443');
    expect(at({ endpoint: '::1', port: 8080, tls: false })).toBe('http://[::1]:8080');
    expect(at({ endpoint: 'main' })).toBe('main');
    expect(() => at({ port: 8080 })).toThrow(/ably\.port and ably\.tls need ably\.endpoint/);
    expect(() => at({ endpoint: 'http://h:1', port: 2 })).toThrow(/already gives the port/);
    expect(() => at({ endpoint: 'h', port: '8080' })).toThrow(/ably\.port/);
  });

  it('refuses unknown keys, naming each, at every level', () => {
    const input = { databaseUrl: 'postgres://x/y', connector: [{ tablename: 't', ablychannelname: 'c', operation: 'INSERT' }] };
    expect(() => parseConnectorConfig({ ...input, ably: { apiKey: 'a.b:c', host: 'h' } })).toThrow(/ {2}ably: Unrecognized key: "host"/);
    expect(() => parseConnectorConfig({ ...input, slot: 'x' })).toThrow(/ {2}\(root\): Unrecognized key: "slot"/);
    expect(() =>
      parseConnectorConfig({ ...input, connector: [{ tablename: 't', ablychannelname: 'c', operation: 'INSERT', channel: 'd' }] }),
    ).toThrow(/ {2}connector\.0: Unrecognized key: "channel"/);
  });

  it('keeps the original {table, type, row} form unless a table is listed in mutableMessages, whose entries it checks', () => {
    const input = { databaseUrl: 'postgres://x/y', connector: [{ tablename: 't', ablychannelname: 'c', operation: 'INSERT' }] };
    expect(parseConnectorConfig(input).mutableMessages).toEqual([]);
    const c = parseConnectorConfig({ ...input, mutableMessages: [{ tablename: 't', keyColumn: 'msg_id', name: 'row' }] });
    expect(c.mutableMessages).toEqual([{ tablename: 't', keyColumn: 'msg_id', name: 'row', source: 'mutableMessages[0]' }]);
    expect(() => parseConnectorConfig({ ...input, mutableMessages: [{ tablename: 't' }] })).toThrow(/ {2}mutableMessages\.0\.keyColumn: /);
    expect(() => parseConnectorConfig({ ...input, mutableMessages: [{ tablename: 't', key: 'id' }] })).toThrow(/Unrecognized key: "key"/);
  });
});
