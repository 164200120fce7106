import type { Logger } from 'pino';
import type { KeyedPublish } from './outgoing.js';
import type { MutablePublisher } from './publisher.js';
import type { SerialMap } from './serial-map.js';

/**
 * Applies the changes of mutable-message tables: an INSERT creates the row's message and records its serial, an
 * UPDATE updates that serial, a DELETE deletes it. A row whose message is unknown (it existed before the table was
 * mapped, its earlier changes were never published, or the server no longer has it) is created by its next
 * UPDATE. A change at or before the
 * recorded position was applied already (the stream re-sends what was not yet confirmed) and is skipped.
 */
export class MutableMessages {
  constructor(
    private readonly publisher: MutablePublisher,
    private readonly serials: SerialMap,
    private readonly logger: Logger,
  ) {}

  /** Publishes one keyed change; resolves once it was accepted and its serial recorded. */
  async apply(work: KeyedPublish): Promise<void> {
    const ref = { channel: work.channel, table: work.table, key: work.key };
    const known = await this.serials.get(ref);
    if (known && known.position >= work.position) return;
    const live = known && !known.deleted ? known.serial : undefined;
    switch (work.operation) {
      case 'INSERT':
      case 'UPDATE': {
        if (live && work.operation === 'UPDATE' && (await orMissing(this.publisher.update(work.channel, live, work.message)))) {
          await this.serials.put(ref, { serial: live, position: work.position, deleted: false });
          return;
        }
        const serial = await this.create(work);
        if (serial) await this.serials.put(ref, { serial, position: work.position, deleted: false });
        return;
      }
      case 'DELETE':
        if (!live) return; // never published, or deleted already: nothing to delete
        await orMissing(this.publisher.delete(work.channel, live, work.message));
        await this.serials.put(ref, { serial: live, position: work.position, deleted: true });
        return;
    }
  }

  /** Creates the message; a duplicate (published before a crash, serial not recorded) is looked up by its id. */
  private async create(work: KeyedPublish): Promise<string | undefined> {
    const serial = await this.publisher.create(work.channel, work.message);
    if (serial) return serial;
    const found = await this.publisher.findSerial(work.channel, work.message.id);
    if (!found) {
      this.logger.warn(
        { channel: work.channel, table: work.table, key: work.key, id: work.message.id },
        'the message of this row was published before a restart but is no longer in recent history: its later changes create a new message',
      );
    }
    return found;
  }
}

/**
 * Resolves true when the update or delete was applied, false when the server no longer has the message (40400:
 * its history expired); other refusals are thrown, to be retried.
 */
async function orMissing(operation: Promise<void>): Promise<boolean> {
  try {
    await operation;
    return true;
  } catch (err) {
    const e = err as { code?: number; statusCode?: number };
    if (e?.code === 40400 || (e?.statusCode === 404 && e.code === undefined)) return false;
    throw err;
  }
}
