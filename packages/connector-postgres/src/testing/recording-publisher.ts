import { vi } from 'vitest';
import type { Message } from '@rowcast/protocol';
import { messagesOf, type OutgoingBatch } from '../outgoing.js';
import type { Publisher } from '../publisher.js';

/**
 * A Publisher that keeps what it was given, for tests of decoding and confirmation that do not need a realtime
 * server. `failWith` makes every publish fail (a server that is down) until cleared.
 */
export class RecordingPublisher implements Publisher {
  readonly published: Array<{ channel: string; message: Message }> = [];
  failWith: Error | undefined;
  calls = 0;

  readonly maxBatchBytes: number;

  constructor(readonly maxMessageSize = 65536) {
    this.maxBatchBytes = maxMessageSize;
  }

  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  /** Makes publishes wait (a slow server) until `release()`. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  async publish(channel: string, batch: OutgoingBatch): Promise<void> {
    this.calls++;
    await (this.gate ?? Promise.resolve());
    if (this.failWith) throw this.failWith;
    for (const message of messagesOf(batch)) this.published.push({ channel, message });
  }

  /** Data of each message published on `channel`, parsed. */
  changes(channel: string): Array<{ table: string; type: string; row: Record<string, unknown> }> {
    return this.published.filter((p) => p.channel === channel).map((p) => JSON.parse(String(p.message.data)));
  }

  async close(): Promise<void> {}
}

/** Waits (vi.waitFor, every 20 ms) until `check` returns true; throws naming `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  await vi.waitFor(
    async () => {
      if (!(await check())) throw new Error(`timed out waiting for ${what}`);
    },
    { timeout: timeoutMs, interval: 20 },
  );
}
