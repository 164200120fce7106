/**
 * Key names of one Rowcast cluster in Redis. Every key starts with the cluster's prefix, so several clusters
 * (or test runs) share one Redis without seeing each other.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** Hash { epoch, seq }: the channel's serial sequence (one per channel across the cluster). */
  channelMeta(channel: string): string {
    return `${this.prefix}ch:${channel}:meta`;
  }

  /** Sorted set of history records, scored by seq. */
  channelHistory(channel: string): string {
    return `${this.prefix}ch:${channel}:hist`;
  }

  /**
   * The id of the Redis data set the cluster works on: written once by the first node, replaced after a
   * restart or failover (see StoreIdentity). Absent means Redis lost its data.
   */
  instance(): string {
    return `${this.prefix}instance`;
  }

  /** Pub/sub channel carrying `<channel>\0<epoch>\0<seq>` when a channel's lost sequence turns out longer (see RECOVER). */
  gapNotices(): string {
    return `${this.prefix}gaps`;
  }

  /** Pub/sub channel carrying the channel's events, in serial order. */
  channelEvents(channel: string): string {
    return `${this.prefix}ev:${channel}`;
  }

  /** The channel name back from a pub/sub channel name. */
  channelOfEvents(pubsubChannel: string): string {
    return pubsubChannel.slice(`${this.prefix}ev:`.length);
  }

  /** Marks an explicit message id as seen on a channel (expires after the idempotency window). */
  messageId(channel: string, id: string): string {
    return `${this.messageIdPrefix(channel)}${id}`;
  }

  /** What messageId() puts before the id (the publish script builds the keys from it). */
  messageIdPrefix(channel: string): string {
    return `${this.prefix}ch:${channel}:id:`;
  }

  /** Hash memberKey -> encoded member. */
  presenceMembers(channel: string): string {
    return `${this.prefix}ch:${channel}:pres`;
  }

  /** Sorted set memberKey, scored by entry order. */
  presenceOrder(channel: string): string {
    return `${this.prefix}ch:${channel}:preso`;
  }

  /** Counter giving presence entries their order. */
  presenceCounter(): string {
    return `${this.prefix}pres:counter`;
  }

  /** Hash `<channel>\0<memberKey>` -> '1': where one connection's members are. */
  connectionPresence(connectionId: string): string {
    return `${this.prefix}conn:${connectionId}:pres`;
  }

  /** Hash connectionId -> nodeId: the node that last entered presence for a connection. */
  presenceOwners(): string {
    return `${this.prefix}pres:owners`;
  }

  /** Set of connectionIds with members entered through a node. */
  nodeConnections(nodeId: string): string {
    return `${this.prefix}node:${nodeId}:conns`;
  }

  /** What nodeConnections() puts before `<nodeId>:conns` (scripts build the key from it). */
  nodeKeyPrefix(): string {
    return `${this.prefix}node:`;
  }

  /** Liveness key of a node, expiring unless refreshed. */
  nodeAlive(nodeId: string): string {
    return `${this.prefix}node:${nodeId}:alive`;
  }

  /** When a node was first seen dead (ms since the epoch). */
  nodeDeadSince(nodeId: string): string {
    return `${this.prefix}node:${nodeId}:dead`;
  }

  /** Set of node ids that joined and were not reaped yet. */
  nodes(): string {
    return `${this.prefix}nodes`;
  }

  /** Resumable state of a connection (see RedisConnectionStateStore). */
  connectionState(connectionId: string): string {
    return `${this.prefix}conn:${connectionId}:state`;
  }

  /** Marks a signed TokenRequest's nonce as redeemed with that key (expires once the request would be stale). */
  tokenNonce(keyName: string, nonce: string): string {
    // Key names never contain ':' (a key string splits there), so the nonce starts after the first ':' here.
    return `${this.prefix}nonce:${keyName}:${nonce}`;
  }

  /** Sorted set (lex) of `<versionSerial>\0<msgpack>`: the versions of one message after its create. */
  messageVersions(channel: string, serial: string): string {
    return `${this.prefix}ch:${channel}:msg:${serial}:ver`;
  }

  /** Sorted set (lex) of `<annotationSerial>\0<msgpack>`: the annotations of one message. */
  messageAnnotations(channel: string, serial: string): string {
    return `${this.prefix}ch:${channel}:msg:${serial}:ann`;
  }

  /** `<asOf annotation serial>\0<msgpack>`: the summary of one message's annotations. */
  messageSummary(channel: string, serial: string): string {
    return `${this.prefix}ch:${channel}:msg:${serial}:sum`;
  }
}
