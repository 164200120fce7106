import { vi } from 'vitest';
import type { Message } from '@rowcast/protocol';
import { messagesOf, type OutgoingBatch } from '../outgoing.js';
import type { MutablePublisher, Publisher, RowMessage } from '../publisher.js';

/** One create, update or delete a RecordingPublisher was given. */
export interface RecordedOperation {
  action: 'create' | 'update' | 'delete';
  channel: string;
  serial: string;
  message: RowMessage;
}

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

  /** Mutable-message operations, in order; serials are `s<n>`, a create with a seen id is a duplicate (null). */
  readonly operations: RecordedOperation[] = [];
  private readonly ids = new Map<string, string>();

  readonly mutable: MutablePublisher = {
    create: async (channel, message) => {
      this.calls++;
      if (this.failWith) throw this.failWith;
      if (this.ids.has(message.id)) return null;
      const serial = `s${this.ids.size + 1}`;
      this.ids.set(message.id, serial);
      this.operations.push({ action: 'create', channel, serial, message });
      return serial;
    },
    update: async (channel, serial, message) => this.record('update', channel, serial, message),
    delete: async (channel, serial, message) => this.record('delete', channel, serial, message),
    findSerial: async (_channel, id) => this.ids.get(id),
  };

  private record(action: 'update' | 'delete', channel: string, serial: string, message: RowMessage): void {
    this.calls++;
    if (this.failWith) throw this.failWith;
    this.operations.push({ action, channel, serial, message });
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
