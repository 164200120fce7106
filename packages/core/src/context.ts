import type { AuthenticatorApi } from './auth/api.js';
import type { AcceptedPresence, MutationOrigin, PublishOrigin, PublishResult } from './node-api.js';
import type { Annotation, Message, UpdateDeleteResult } from '@rowcast/protocol';
import type { MutationAction } from './messages/mutation.js';
import type { EngineConfig } from './engine-config.js';
import type { Broker } from './ports/broker.js';
import type { Clock } from './ports/clock.js';
import type { HistoryStore } from './ports/history-store.js';
import type { Logger } from './ports/logger.js';
import type { PresenceStore } from './ports/presence-store.js';
import type { MessageStoreResolver } from './ports/message-store.js';
import type { ConnectionStateStore } from './ports/connection-state-store.js';
import type { Hub } from './hub.js';
import type { RealtimeConnection } from './connection/connection.js';
import type { TrafficCounters } from './counters.js';

/** What connection handlers need from the node that owns them. */
export interface EngineContext {
  readonly config: EngineConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly auth: AuthenticatorApi;
  readonly broker: Broker;
  readonly history: HistoryStore;
  readonly presence: PresenceStore;
  /** The mutable-message store of each channel (by base name). */
  readonly messageStores: MessageStoreResolver;
  readonly hub: Hub;
  /** This node's traffic counters (plain increments; read by metrics and stats). */
  readonly counters: TrafficCounters;
  /** node.publish: the one path every message takes onto a channel. */
  publishMessages(channel: string, messages: Message[], origin: PublishOrigin): Promise<PublishResult>;
  /** Applies presence changes to the store and publishes those that changed something. */
  publishPresence(channel: string, presence: AcceptedPresence[], eventId: string, connectionId?: string): Promise<void>;
  /** An update, delete or append of `message.serial`, with `message.version` as the operation (realtime MESSAGE). */
  mutateMessage(channel: string, action: MutationAction, message: Message, origin: MutationOrigin): Promise<UpdateDeleteResult>;
  /** node.publishAnnotations (realtime ANNOTATION). */
  publishAnnotations(channel: string, annotations: Annotation[], origin: PublishOrigin): Promise<void>;
  readonly connections: ConnectionRegistry;
  /** Cluster only: connection state any node can resume (absent on a single node: resume is local). */
  readonly connectionStates?: ConnectionStateStore;
  /** Cluster only: this node, as recorded in ResumableConnection.nodeId. */
  readonly nodeId?: string;
}

/** Live and resumable connections of this node. */
export interface ConnectionRegistry {
  byKey(key: string): RealtimeConnection | undefined;
  byId(id: string): RealtimeConnection | undefined;
  add(conn: RealtimeConnection): void;
  rekey(conn: RealtimeConnection, oldKey: string): void;
  remove(conn: RealtimeConnection): void;
}
