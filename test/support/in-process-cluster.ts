import { afterAll, beforeAll } from 'vitest';
import type * as Ably from 'ably';
import { deletePrefix, uniquePrefix } from '@rowcast/broker-redis/testing';
import { startRowcast, type TestConfig, type TestRowcast } from './rowcast.ts';

/**
 * Registers hooks that start `size` Rowcast nodes in this process, sharing one Redis under a fresh prefix (one
 * cluster), and at the end close the realtime clients handed to `track`, the nodes, and the prefix's keys. For
 * tests of what crosses nodes without killing any (kill tests spawn processes instead).
 */
export function useInProcessCluster(redisUrl: string, what: string, size: number, overrides: TestConfig = {}) {
  const prefix = uniquePrefix(what);
  const nodes: TestRowcast[] = [];
  const clients: Ably.Realtime[] = [];
  beforeAll(async () => {
    for (let i = 0; i < size; i++) nodes.push(await startRowcast({ ...overrides, redis: { url: redisUrl, prefix } }));
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const n of nodes) await n.close();
    await deletePrefix(redisUrl, prefix);
  });
  return {
    nodes: () => nodes,
    /** Closes `client` after the file's tests. */
    track<T extends Ably.Realtime>(client: T): T {
      clients.push(client);
      return client;
    },
  };
}
