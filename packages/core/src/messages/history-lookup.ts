import { formatSerial, parseSerial } from '../channel/serial.js';
import type { AcceptedMessage } from '../node-api.js';
import type { HistoryStore } from '../ports/history-store.js';
import { isEphemeral } from './ephemeral.js';

/**
 * The message with `serial` as it was created, read from channel history (one event): the fallback when the
 * channel's MessageStore does not know it (a message accepted by another node a moment ago, or a store that
 * only keeps what changed, as the Redis one). Undefined when the serial is not one of ours or history no longer has it.
 */
export async function createdInHistory(history: HistoryStore, channel: string, serial: string): Promise<AcceptedMessage | undefined> {
  const m = /^(.+):(\d+)$/.exec(serial);
  const parsed = m ? parseSerial(m[1]) : undefined;
  if (!m || !parsed || parsed.seq < 1) return undefined;
  const [event] = await history.page(channel, { direction: 'forwards', after: formatSerial(parsed.epoch, parsed.seq - 1), limit: 1 });
  if (!event || event.serial !== m[1] || event.kind !== 'message') return undefined;
  const found = event.messages?.find((msg) => msg.serial === serial && !msg.action);
  return found && !isEphemeral(found) ? found : undefined;
}
