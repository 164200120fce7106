import { z } from 'zod';

/** `stats`: Ably's stats API (GET /stats) and its fixtures (POST /stats). */
export const statsConfigSchema = z
  .object({
    /** Accept `POST /stats` fixtures (Ably's sandbox does; a production app should not). ROWCAST_STATS_FIXTURES=1 sets it. */
    fixtures: z.boolean().default(false),
    /** How often each node writes its counters into the per-minute stats. */
    flushIntervalMs: z.number().int().min(50).max(60_000).default(2000),
    /** How long per-minute stats are kept in PostgreSQL (Redis keeps at most 7 days, memory one day). */
    retentionDays: z.number().int().min(1).max(3650).default(30),
  })
  .strict();

/** `metrics`: the Prometheus endpoint. */
export const metricsConfigSchema = z
  .object({
    /** Serve `GET /metrics` (off by default: it tells anyone who can reach it about the traffic). */
    enabled: z.boolean().default(false),
    /** When set, a scrape must send `Authorization: Bearer <token>` (or the admin key). */
    bearerToken: z.string().min(16, 'must be at least 16 characters').optional(),
  })
  .strict();

/** `admin`: the admin page at /admin and its JSON routes at /admin/api. */
export const adminConfigSchema = z
  .object({
    /** The admin key: the page asks for it, the JSON routes take it as `Authorization: Bearer <key>`. Unset: no admin access. */
    key: z.string().min(16, 'must be at least 16 characters').optional(),
  })
  .strict();

export type StatsConfig = z.infer<typeof statsConfigSchema>;
export type MetricsConfig = z.infer<typeof metricsConfigSchema>;
export type AdminConfig = z.infer<typeof adminConfigSchema>;
