/**
 * One node's traffic counters: plain integer fields the hot path increments (no labels, no maps, no
 * allocation per message). Collectors read them when they need them: the Prometheus scrape and the stats
 * recorder, which turns the differences between two reads into per-minute stats. They only grow.
 */
export class TrafficCounters {
  /** Messages accepted from realtime connections, and their size (data + name + clientId + extras, bytes). */
  realtimeMessagesIn = 0;
  realtimeMessageBytesIn = 0;
  /** Messages accepted from REST and in-process publishers (connector, rules, apps). */
  restMessagesIn = 0;
  restMessageBytesIn = 0;
  /** Presence changes accepted (enter, update, leave). */
  presenceIn = 0;
  presenceBytesIn = 0;
  /** Messages and presence events sent to subscribers (one per subscriber that received it). */
  messagesOut = 0;
  messageBytesOut = 0;
  presenceOut = 0;
  presenceBytesOut = 0;
  /** Connections opened (new, not resumed). */
  connectionsOpened = 0;
  /** Channels that got their first local subscriber. */
  channelsOpened = 0;
  /** Connections cut because their send buffer overflowed. */
  slowConsumerDisconnects = 0;
  /** REST requests answered (2xx/3xx) and failed, token requests among them (counted by the server). */
  apiRequestsSucceeded = 0;
  apiRequestsFailed = 0;
  tokenRequestsSucceeded = 0;
  tokenRequestsFailed = 0;
  /** Publishes refused, by Ably error code (rare: a small map is fine here). */
  readonly publishRefusals = new Map<number, number>();

  /** Counts one refused publish. */
  refused(code: number): void {
    this.publishRefusals.set(code, (this.publishRefusals.get(code) ?? 0) + 1);
  }
}
