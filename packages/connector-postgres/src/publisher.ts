import type { Message } from '@rowcast/protocol';

/**
 * Where the connector's messages go: the engine in the same process, or an Ably-compatible REST endpoint.
 * `publish` resolves once the messages were accepted (an accepted message is never lost by the server); it rejects
 * when they were not, and may then be called again with the same messages (ids make that idempotent).
 */
export interface Publisher {
  /** Largest total size of one publish call (data + name of all its messages). */
  readonly maxMessageSize: number;
  publish(channel: string, messages: Message[]): Promise<void>;
  close(): Promise<void>;
}

/** What a refused publish means for the connector. */
export type PublishFailure = 'too-large' | 'retry';

/** Classifies a publish error: a size refusal is final for that content; anything else is retried. */
export function classifyPublishError(err: unknown): PublishFailure {
  const e = err as { code?: number; statusCode?: number };
  if (e?.code === 40009 || e?.statusCode === 413) return 'too-large';
  return 'retry';
}
