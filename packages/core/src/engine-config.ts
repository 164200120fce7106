/** Tunables of the realtime engine; every field has an Ably-like default (see DEFAULT_ENGINE_CONFIG). */
export interface EngineConfig {
  /** Identifies this node in connectionDetails.serverId. */
  serverId: string;
  /** Largest message (data + name + clientId + extras) accepted, in bytes. */
  maxMessageSize: number;
  /** Largest inbound WebSocket frame, in bytes. */
  maxFrameSize: number;
  /** How long a dropped connection's state is kept for resume, in ms. */
  connectionStateTtlMs: number;
  /** The server sends something (ping or HEARTBEAT) at least this often, in ms; also told to clients. */
  maxIdleIntervalMs: number;
  /** Delay before members of a connection that dropped without closing leave presence, in ms. */
  presenceLeaveDelayMs: number;
  /** Members per SYNC frame; keeps each frame well under maxMessageSize. */
  presenceSyncPageSize: number;
  /** Unsent bytes allowed per connection before it is disconnected as a slow consumer. */
  maxSendBufferBytes: number;
  /** How long message and presence history is kept, in ms. */
  historyTtlMs: number;
  /** Most events kept per channel. */
  historyMaxEventsPerChannel: number;
  /** Window in which explicit message ids are deduplicated, in ms. */
  idempotencyWindowMs: number;
  /**
   * Messages a connection may publish per second (bursts up to a second's worth); beyond it a publish is refused
   * with 42911 and the connection stays open. Told to clients as connectionDetails.maxInboundRate.
   */
  maxInboundRate: number;
}

export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  serverId: 'rowcast',
  maxMessageSize: 65536,
  maxFrameSize: 524288,
  connectionStateTtlMs: 120_000,
  maxIdleIntervalMs: 15_000,
  presenceLeaveDelayMs: 15_000,
  presenceSyncPageSize: 100,
  maxSendBufferBytes: 4 * 1024 * 1024,
  historyTtlMs: 120_000,
  historyMaxEventsPerChannel: 10_000,
  idempotencyWindowMs: 120_000,
  maxInboundRate: 1000,
};
