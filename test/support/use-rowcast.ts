import { afterAll, beforeAll } from 'vitest';
import * as Ably from 'ably';
import { clientOptions, startRowcast, type TestConfig, type TestRowcast } from './rowcast.ts';

/** One in-process Rowcast per test file, with SDK client factories pointed at it. */
export interface RowcastFixture {
  /** The running server (only valid inside tests and hooks, once beforeAll has run). */
  server(): TestRowcast;
  /** A realtime client on the server (not awaited to connect); closed after the file's tests. */
  realtime(options: Ably.ClientOptions): Ably.Realtime;
  /** A REST client on the server (it holds no connection, so nothing to close). */
  rest(options: Ably.ClientOptions): Ably.Rest;
}

/**
 * Registers beforeAll/afterAll hooks that start Rowcast (with `overrides`, see `startRowcast`) and, at the end,
 * close every realtime client made through the fixture and then the server. Call it at the top of a test file.
 */
export function useRowcast(overrides: TestConfig = {}): RowcastFixture {
  let running: TestRowcast | undefined;
  const opened: Ably.Realtime[] = [];

  beforeAll(async () => {
    running = await startRowcast(overrides);
  });
  afterAll(async () => {
    for (const client of opened) client.close();
    await running?.close();
  });

  const server = (): TestRowcast => {
    if (!running) throw new Error('useRowcast: the server is not started (use it inside tests or hooks)');
    return running;
  };
  return {
    server,
    realtime(options) {
      const client = new Ably.Realtime(clientOptions(server(), { ...options }) as Ably.ClientOptions);
      opened.push(client);
      return client;
    },
    rest: (options) => new Ably.Rest(clientOptions(server(), { ...options }) as Ably.ClientOptions),
  };
}
