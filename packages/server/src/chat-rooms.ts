import type { Logger } from 'pino';
import { MemoryMessageStore, systemClock, type EngineConfig, type MessageStoreResolver } from '@rowcast/core';
import { CHAT_SUFFIX, ChatSqlChanges, ConnectorSetupError, PostgresMessageStore, type ChangeRoute } from '@rowcast/connector-postgres';
import type { RealtimeNodeApi } from '@rowcast/core';

/**
 * Where the engine keeps mutable message state: chat rooms (`<room>::$chat`) in PostgreSQL when Rowcast has a
 * database (their messages, versions and reactions are rows, kept for good and queryable; a SQL change of one is
 * published), and so are the channels the change stream publishes rows to as mutable messages (`mutableMessages`:
 * the rows are durable, so their messages' versions and reactions are too); every other channel in `fallback` (the cluster's store) or in memory with history's retention.
 * The PostgreSQL store exists from the start, so the engine can be built before the database is up; it is
 * connected by `connect` and its calls wait for that.
 */
export class ChatRooms {
  readonly resolver: MessageStoreResolver;
  private readonly postgres: PostgresMessageStore | undefined;
  private readonly memory: MemoryMessageStore | undefined;
  private databaseUrl: string | undefined;
  private changes: ChatSqlChanges | undefined;
  private routeTaken = false;
  /** The SQL changes' own stream, when no change stream of the database carries them. */
  private ownStream: { stop(): Promise<void> } | undefined;

  constructor(opts: { withDatabase: boolean; realtime: EngineConfig; fallback?: MessageStoreResolver; durableChannels?: Set<string> }) {
    this.postgres = opts.withDatabase ? new PostgresMessageStore() : undefined;
    if (!opts.fallback) {
      this.memory = new MemoryMessageStore(
        { ttlMs: opts.realtime.historyTtlMs, maxEventsPerChannel: opts.realtime.historyMaxEventsPerChannel },
        systemClock(),
      );
    }
    const other = opts.fallback ?? (() => this.memory!);
    const postgres = this.postgres;
    const durable = opts.durableChannels ?? new Set<string>();
    this.resolver = postgres ? (channel) => (channel.endsWith(CHAT_SUFFIX) || durable.has(channel) ? postgres : other(channel)) : other;
  }

  /** Connects the PostgreSQL store (creating its tables); SQL changes of its messages are followed from `followChanges`. */
  async connect(databaseUrl: string | undefined, node: RealtimeNodeApi, logger: Logger): Promise<void> {
    if (!this.postgres) return;
    if (!databaseUrl) throw new Error('chat rooms: a database was expected but none was provided');
    await this.postgres.connect(databaseUrl);
    this.databaseUrl = databaseUrl;
    this.changes = new ChatSqlChanges(node, this.postgres, logger.child({ component: 'chat-sql-changes' }));
  }

  /**
   * The route of the chat rooms' SQL changes, taken by the change stream that captures `databaseUrl` when it is
   * their database: one slot per database, since each slot decodes all of its WAL. Untaken, `followChanges`
   * starts a stream of their own.
   */
  takeChangeRoutes(databaseUrl: string): ChangeRoute[] {
    if (!this.changes || databaseUrl !== this.databaseUrl) return [];
    this.routeTaken = true;
    return [this.changes.route()];
  }

  /**
   * Publishes SQL changes of chat messages from here on (after the components started: the change stream may have
   * taken the route), which needs logical replication: without it (wal_level) chat rooms still live in PostgreSQL,
   * and a warning says that SQL changes are not published.
   */
  async followChanges(logger: Logger): Promise<void> {
    if (!this.changes || !this.databaseUrl) return;
    if (this.routeTaken) {
      await this.changes.retireStandaloneSlot(this.databaseUrl);
      logger.info('chat rooms: messages, versions and reactions in PostgreSQL (rowcast_chat_*), SQL changes published by the change stream');
      return;
    }
    try {
      this.ownStream = await this.changes.start(this.databaseUrl);
      logger.info('chat rooms: messages, versions and reactions in PostgreSQL (rowcast_chat_*), SQL changes published');
    } catch (err) {
      if (!(err instanceof ConnectorSetupError)) throw err;
      logger.warn(`chat rooms: messages in PostgreSQL, but SQL changes of them are not published: ${err.message}`);
    }
  }

  /** Stops following SQL changes (before the engine closes). */
  async stopChanges(): Promise<void> {
    await this.ownStream?.stop();
    this.ownStream = undefined;
  }

  /** Closes the stores (after the engine closed). */
  async close(): Promise<void> {
    this.memory?.close();
    await this.postgres?.close();
  }
}

/**
 * The channels an inline `connector` section publishes `mutableMessages` tables to (table names compared without a
 * `public.` schema). A section given as a file path is not read here: its channels keep the default store.
 */
export function mutableMessageChannels(config: Record<string, unknown>): Set<string> {
  const section = config.connector as { connector?: unknown; mutableMessages?: unknown } | undefined;
  const out = new Set<string>();
  if (!section || typeof section !== 'object' || !Array.isArray(section.connector) || !Array.isArray(section.mutableMessages)) return out;
  const bare = (t: unknown) => String(t).replace(/^public\./, '');
  const tables = new Set(section.mutableMessages.map((m: { tablename?: unknown }) => bare(m?.tablename)));
  for (const m of section.connector as Array<{ tablename?: unknown; ablychannelname?: unknown }>) {
    if (tables.has(bare(m?.tablename)) && typeof m?.ablychannelname === 'string') out.add(m.ablychannelname);
  }
  return out;
}
