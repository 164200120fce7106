import type { Annotation, Capability, Message, MessageOperation, PresenceMessage, UpdateDeleteResult } from '@rowcast/protocol';

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
  /**
   * The publisher's JWT user claim for this channel (userClaimFor), set on each message as `extras.userClaim`;
   * without it a message's own `extras.userClaim` is removed, since only the auth server may make that claim.
   */
  userClaim?: string;
}

/** What `publish` resolves with: one serial per message, `null` for a message dropped as an idempotent duplicate. */
export interface PublishResult {
  serials: Array<string | null>;
  /** When the messages were accepted (their `timestamp`); absent when all were duplicates. */
  timestamp?: number;
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

/** An annotation as accepted onto a channel: its own serial (after its message's), id, action and timestamp set. */
export interface AcceptedAnnotation extends Annotation {
  id: string;
  action: number;
  serial: string;
  messageSerial: string;
  type: string;
  timestamp: number;
}

/**
 * Who changes a message (update, delete, append): a publisher plus what its capability grants. Without
 * `capability` the caller is trusted (Rowcast itself, the change stream) and may change any message; with it, the
 * engine requires `message-update-any`/`message-delete-any` on the channel, or the `-own` form and the caller's
 * clientId equal to the message's (40160, or 40166 for an unidentified caller with only `-own`).
 */
export interface MutationOrigin extends PublishOrigin {
  capability?: Capability;
}

/** Versions of a message (REST `GET .../messages/{serial}/versions`): oldest first by default, as Ably. */
export interface VersionsQuery {
  direction?: 'forwards' | 'backwards';
  limit?: number;
  cursor?: string;
}

/** Annotations of a message (REST `GET .../messages/{serial}/annotations`), oldest first. */
export interface AnnotationsQuery {
  limit?: number;
  cursor?: string;
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
  /**
   * Several `publishBatch` batches of one channel as one event (the change stream's transactions that queued up
   * meanwhile): one sequencing, history append, fan-out frame and hook run for all of them, in order (one event
   * per batch on a broker that judges repeats per event: Broker.judgesRepeatsPerEvent). Each batch keeps its ids
   * and its own idempotency record, so a batch re-sent alone or grouped otherwise is still dropped, without the
   * others. Every batch is checked before any is published: one refused refuses them all.
   */
  publishBatches(channel: string, batches: TrustedBatch[]): Promise<PublishResult[]>;
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
  /**
   * The latest version of message `serial` on `channel` (what `channel.getMessage` shows), with `annotations`
   * carrying its summary when it has annotations. Throws ErrorInfo 40400 (HTTP 404) when the serial is unknown.
   */
  getMessage(channel: string, serial: string): Promise<AcceptedMessage>;
  /**
   * Replaces a message with a new version (ably `updateMessage`): `message.serial` names it; `name`, `data`
   * (with `encoding`) and `extras` given replace the current ones, the others are kept. The new version gets a
   * serial sorting after every earlier one, the timestamp of now, and `operation` (clientId defaults to the
   * caller's, description, metadata). Subscribers receive it as `message.update` with the original serial, in
   * channel order; history and `getMessage` show it from then on. Capability: see MutationOrigin. Throws 40400
   * for an unknown serial, 40003 without a serial.
   */
  updateMessage(channel: string, message: Message, operation: MessageOperation | undefined, origin: MutationOrigin): Promise<UpdateDeleteResult>;
  /** `updateMessage` as a delete (ably `deleteMessage`): delivered as `message.delete`; needs `message-delete-*`. */
  deleteMessage(channel: string, message: Message, operation: MessageOperation | undefined, origin: MutationOrigin): Promise<UpdateDeleteResult>;
  /**
   * Appends to a message (ably `appendMessage`): subscribers receive `message.append` carrying only the appended
   * `data`; the message becomes the old data + the appended (strings concatenated), shown by history and rewind
   * as `message.update`. Needs `message-update-*`.
   */
  appendMessage(channel: string, message: Message, operation: MessageOperation | undefined, origin: MutationOrigin): Promise<UpdateDeleteResult>;
  /** Every version of message `serial` (the create first by default); 40400 when the serial is unknown. */
  messageVersions(channel: string, serial: string, query: VersionsQuery): Promise<HistoryPage<AcceptedMessage>>;
  /**
   * Publishes annotations (each `messageSerial`, `type`, optional `name`/`count`/`data`; `action` 0 create or 1
   * delete) as realtime ANNOTATION or REST would: ids, timestamps and serials minted, clientId checked as for
   * messages, delivered to attachments with the annotation_subscribe mode, recorded, and each annotated
   * message's new summary delivered to subscribers as `message.summary`. Capability `annotation-publish` is the
   * caller's to check (as `publish` is). Throws 40003 for an annotation without messageSerial or type, 40161
   * for a flag/distinct/unique one from a caller without clientId, 40400 for an unknown message.
   */
  publishAnnotations(channel: string, annotations: Annotation[], origin: PublishOrigin): Promise<void>;
  /** Annotations of message `serial`, oldest first (the REST annotations list). */
  annotations(channel: string, serial: string, query: AnnotationsQuery): Promise<HistoryPage<AcceptedAnnotation>>;
  /** Largest accepted message size in bytes (data + name + clientId + extras), as sent in connectionDetails. */
  readonly maxMessageSize: number;
}
