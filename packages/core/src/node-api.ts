import type { Message, PresenceMessage } from '@rowcast/protocol';

/**
 * The contract between the realtime engine (core) and the packages that drive it from outside a WebSocket:
 * the REST API (http-api), the change stream (connector-postgres, in-process mode) and integration rules.
 * core's RealtimeNode implements it; nothing else needs to know how the engine is built.
 */

/** Who published: a realtime connection, a REST caller, or Rowcast itself (connector). */
export interface PublishOrigin {
  connectionId?: string;
  /** The publisher's authenticated clientId, if any (a message's clientId must match unless this is `*`). */
  clientId?: string;
  /** The API key name the publisher authenticated with (envelopes and audit). */
  keyName?: string;
  /** Prefix of minted message ids (`<idBase>:<index>`); realtime uses `<connectionId>:<msgSerial>`, else random. */
  idBase?: string;
  /** clientId given to messages that carry none (a wildcard connection that chose a clientId); else `clientId`. */
  defaultClientId?: string;
}

/** What `publish` resolves with: one serial per message, `null` for a message dropped as an idempotent duplicate. */
export interface PublishResult {
  serials: Array<string | null>;
}

/**
 * Messages from a trusted in-process publisher (the change stream), published together: each a string `data`
 * with the batch's `name`, ids `<idBase>:<first + k>`. The shape of the normal path's messages without the
 * per-message objects.
 */
export interface TrustedBatch {
  idBase: string;
  /** Index in the ids of the first message (default 0): a batch re-published in parts keeps its ids. */
  first?: number;
  name?: string;
  data: string[];
}

/** A message as accepted: ids, timestamps, serial and connectionId filled in by the engine. */
export interface AcceptedMessage extends Message {
  id: string;
  timestamp: number;
  serial: string;
}

/** A presence event as accepted onto a channel. */
export interface AcceptedPresence extends PresenceMessage {
  id: string;
  timestamp: number;
  connectionId: string;
  clientId: string;
}

/**
 * Runs after the engine accepted a publish and before the publisher is acknowledged: the ACK waits for the
 * returned promise, so a hook that persists (the rules' durable queue) makes "acknowledged" mean "will be
 * delivered". A hook that throws fails the publish (NACK / HTTP error). Hooks must be cheap for channels they
 * do not care about: check the channel name first. Ephemeral messages (`extras.ephemeral`) are not passed to hooks:
 * like Ably's integrations, they only reach live subscribers.
 */
export type AcceptedHook = (event: AcceptedEvent) => void | Promise<void>;

export type AcceptedEvent =
  | { kind: 'message'; channel: string; messages: AcceptedMessage[] }
  | { kind: 'presence'; channel: string; presence: AcceptedPresence[] };

/** History query (Ably REST `start`, `end`, `direction`, `limit`), plus an opaque cursor for paging. */
export interface HistoryQuery {
  start?: number;
  end?: number;
  direction?: 'forwards' | 'backwards';
  limit?: number;
  /** Opaque position from a previous page's `next`. */
  cursor?: string;
  /** Nothing after this channel serial (REST `from_serial`, sent by realtime `history({ untilAttach: true })`). */
  fromSerial?: string;
}

export interface HistoryPage<T> {
  items: T[];
  /** Cursor of the next page, absent on the last page. */
  next?: string;
}

/** Channel status as `GET /channels/{name}` returns it (Ably ChannelDetails). */
export interface ChannelDetails {
  channelId: string;
  name: string;
  status: {
    isActive: boolean;
    occupancy: {
      metrics: {
        connections: number;
        publishers: number;
        subscribers: number;
        presenceConnections: number;
        presenceMembers: number;
        presenceSubscribers: number;
      };
    };
  };
}

/** The engine's surface for non-WebSocket callers. */
export interface RealtimeNodeApi {
  /**
   * Accepts messages onto a channel exactly as a realtime publish would: validates size and clientId, mints
   * ids (`<base>:<index>`) where absent, stamps timestamp and serial, drops idempotent duplicates (same
   * explicit id within 2 minutes), sequences and fans out, then runs accepted hooks (which see the serials)
   * before resolving. Throws ErrorInfo on refusal.
   */
  publish(channel: string, messages: Message[], origin: PublishOrigin): Promise<PublishResult>;
  /**
   * `publish` for a trusted in-process publisher (Rowcast itself: no connectionId or clientId), at a cost per
   * batch rather than per message: the batch is checked once (each message still against maxMessageSize,
   * refused with 40009 like `publish`) and its idempotency is recorded once, as its id range, in this node's
   * store and in a shared broker's (so a batch re-sent with the same ids, through any node, is dropped whole:
   * all serials `null`). Sequencing, history, fan-out and accepted hooks are those of `publish`.
   */
  publishBatch(channel: string, batch: TrustedBatch): Promise<PublishResult>;
  /** Registers a hook run between acceptance and acknowledgement (see AcceptedHook). */
  onAccepted(hook: AcceptedHook): void;
  /** Message history of a channel, newest first by default. */
  history(channel: string, query: HistoryQuery): Promise<HistoryPage<AcceptedMessage>>;
  /** Current presence members of a channel. */
  presenceMembers(channel: string, filter?: { clientId?: string; connectionId?: string }): Promise<AcceptedPresence[]>;
  /** Presence event history of a channel. */
  presenceHistory(channel: string, query: HistoryQuery): Promise<HistoryPage<AcceptedPresence>>;
  /** Status and occupancy of a channel. */
  channelDetails(channel: string): Promise<ChannelDetails>;
  /**
   * The connectionId of the connection whose current connectionKey is `key` (a REST publish on behalf of that
   * connection), on this node or, in a cluster, on any; undefined when no connection holds that key.
   */
  connectionIdForKey(key: string): Promise<string | undefined>;
  /**
   * Active channels (with attached clients on this node), sorted by name; metachannels excluded. For
   * `GET /channels` (enumeration).
   */
  activeChannels(): string[];
  /** Largest accepted message size in bytes (data + name + clientId + extras), as sent in connectionDetails. */
  readonly maxMessageSize: number;
}
