import type { ConnectorConfig, Operation } from './config.js';
import type { OutgoingBatch } from './outgoing.js';
import type { Publisher } from './publisher.js';

/**
 * Changes of some tables that a part of Rowcast consumes itself (the chat rooms' SQL edits), carried by the change
 * stream of their database instead of a slot of their own: every logical slot makes the walsender decode all of
 * the database's WAL, so a second slot costs the writers a second decode of every transaction (write-path bench).
 * The route's channel is only a label inside the stream: its changes go to the route's publisher, never to a
 * channel of that name.
 */
export interface ChangeRoute {
  /** What the route is, for log lines and error messages. */
  name: string;
  tables: Array<{ tablename: string; operation: Operation }>;
  channel: string;
  publisher: Publisher;
}

/** The connector's config and publisher with the routes added: their tables captured, their changes theirs. */
export function withChangeRoutes(
  config: ConnectorConfig,
  publisher: Publisher,
  routes: ChangeRoute[],
): { config: ConnectorConfig; publisher: Publisher } {
  if (routes.length === 0) return { config, publisher };
  const taken = new Set(config.mappings.map((m) => m.channel));
  for (const r of routes) {
    // A user channel of the same name would have its rows handed to the route: refuse rather than misroute.
    if (taken.has(r.channel)) throw new Error(`channel "${r.channel}" is reserved for ${r.name}`);
  }
  const mappings = routes.flatMap((r) => r.tables.map((t) => ({ ...t, channel: r.channel, source: r.name })));
  return { config: { ...config, mappings: [...config.mappings, ...mappings] }, publisher: routedPublisher(publisher, routes) };
}

/**
 * The connector's publisher for its own channels and each route's for the route's. Batches keep the main
 * publisher's bound (a REST publish is limited as a whole); a single message may be as big as any of them
 * allows, so a route's large row is not dropped as oversized before it reaches the route (the main publisher
 * still refuses its own oversized rows, which are then logged and skipped as before).
 */
function routedPublisher(main: Publisher, routes: ChangeRoute[]): Publisher {
  const byChannel = new Map(routes.map((r) => [r.channel, r.publisher]));
  const target = (channel: string) => byChannel.get(channel) ?? main;
  return {
    get maxMessageSize() {
      return Math.max(main.maxMessageSize, ...routes.map((r) => r.publisher.maxMessageSize));
    },
    maxBatchBytes: main.maxBatchBytes,
    maxSeries: main.maxSeries,
    mutable: main.mutable,
    publish: (channel: string, batch: OutgoingBatch) => target(channel).publish(channel, batch),
    ...(main.publishSeries && {
      async publishSeries(channel: string, batches: OutgoingBatch[]) {
        const to = target(channel);
        if (to.publishSeries) return to.publishSeries(channel, batches);
        await to.publish(channel, batches[0]);
        return 1;
      },
    }),
    async close() {
      await Promise.all([main.close(), ...routes.map((r) => r.publisher.close())]);
    },
  };
}
