import type { ConnectionRegistry } from '../context.js';
import type { RealtimeConnection } from './connection.js';

/**
 * The connections one node holds (connected, or waiting for a resume), by id and by connection key. Tells
 * `onOpened`/`onClosed` (the metachannels) when one joins or leaves for good.
 */
export class ConnectionTable implements ConnectionRegistry {
  private readonly keys = new Map<string, RealtimeConnection>();
  private readonly ids = new Map<string, RealtimeConnection>();

  constructor(
    private readonly onOpened: (conn: RealtimeConnection) => void,
    private readonly onClosed: (conn: RealtimeConnection) => void,
  ) {}

  byKey(key: string): RealtimeConnection | undefined {
    return this.keys.get(key);
  }

  byId(id: string): RealtimeConnection | undefined {
    return this.ids.get(id);
  }

  add(conn: RealtimeConnection): void {
    this.keys.set(conn.key, conn);
    this.ids.set(conn.id, conn);
    this.onOpened(conn);
  }

  rekey(conn: RealtimeConnection, oldKey: string): void {
    this.keys.delete(oldKey);
    this.keys.set(conn.key, conn);
  }

  remove(conn: RealtimeConnection): void {
    if (this.ids.get(conn.id) === conn) this.onClosed(conn);
    this.keys.delete(conn.key);
    this.ids.delete(conn.id);
  }

  get size(): number {
    return this.ids.size;
  }

  /** Every connection held, in the order they arrived. */
  all(): IterableIterator<RealtimeConnection> {
    return this.ids.values();
  }
}
