/** The admin API (README.md, "Operate it"), called with the admin key as a Bearer token. */

export class AdminApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** GET or POST one admin route; throws AdminApiError with the server's message on refusal. */
export async function adminFetch<T>(key: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`/admin/api/${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${key}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new AdminApiError(body?.error?.message ?? `HTTP ${res.status}`, res.status);
  return body as T;
}

export interface Occupancy {
  connections: number;
  publishers: number;
  subscribers: number;
  presenceConnections: number;
  presenceMembers: number;
  presenceSubscribers: number;
}

export interface ChannelRow {
  name: string;
  occupancy: Occupancy;
}

export interface PresenceMember {
  clientId: string;
  connectionId: string;
  data?: unknown;
  action: number;
}

export interface ChannelMessage {
  id: string;
  name?: string;
  data?: unknown;
  clientId?: string;
  timestamp: number;
}

export interface ChannelView extends ChannelRow {
  members: PresenceMember[];
  messages: ChannelMessage[];
}

export interface Status {
  ok: boolean;
  nodeId: string;
  uptimeSeconds: number;
  engine: string;
  connections: { connected: number; disconnected: number };
  channels: number;
  attachments: number;
  traffic: { messagesIn: number; messagesOut: number; presenceIn: number; slowConsumerDisconnects: number; publishRefusals: number };
  changeStream?: { active: boolean; slotLagBytes: number | null; confirmedLsn: string; publishedRows: number; queuedRows: number };
  rules?: { queued: number; deadLetters: number };
}

export interface ConnectionRow {
  id: string;
  clientId?: string;
  state: string;
  channels: string[];
  presenceChannels: string[];
}

export interface ChangeStreamView {
  configured: boolean;
  state: { slotLagBytes: number | null; streaming: boolean; confirmedLsn: string; publishedRows: number } | null;
  samples: Array<{ at: number; slotLagBytes: number | null; rowsPerSecond: number }>;
}

export interface DeadLetter {
  deliveryId: string;
  ruleId: string;
  channel: string;
  attempts: number;
  lastError?: string;
  failedAt: number;
}

export interface RulesView {
  configured: boolean;
  stats: Record<string, { enqueued: number; delivered: number; failedAttempts: number; deadLettered: number }>;
  queued: number;
  deadLetters: DeadLetter[];
}

export interface StatsRecord {
  intervalId: string;
  entries: Record<string, number>;
}
