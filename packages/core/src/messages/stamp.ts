import { MessageAction } from '@rowcast/protocol';
import { messageSerial } from '../channel/serial.js';
import type { ChannelEvent } from '../ports/events.js';

/**
 * Gives the items of a sequenced event the serials derived from the event serial (`<eventSerial>:<index>`).
 * Every broker calls this once the event serial is known, and again when decoding a stored event, so the rule
 * lives here:
 * - a new message (create) gets its serial;
 * - a new version of a message (update, delete, append) keeps the message's serial and gets it as
 *   `version.serial`, so versions sort after the create and after each other, in channel order;
 * - a summary keeps both (it is the message as it is, with a new annotation summary);
 * - an annotation gets its own serial (after the annotated message's).
 */
export function stampSerials(event: ChannelEvent): void {
  event.messages?.forEach((m, i) => {
    const action = m.action ?? MessageAction.CREATE;
    if (action === MessageAction.CREATE) m.serial = messageSerial(event.serial, i);
    else if (action === MessageAction.UPDATE || action === MessageAction.DELETE || action === MessageAction.APPEND) {
      m.version = { ...m.version, serial: messageSerial(event.serial, i) };
    }
  });
  event.annotations?.forEach((a, i) => {
    a.serial = messageSerial(event.serial, i);
  });
}
