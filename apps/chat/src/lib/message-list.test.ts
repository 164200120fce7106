import { describe, expect, it } from 'vitest';
import { MessageList } from './message-list.js';
import { parseChatEvent, parseRowChange, type ChatRow } from './rows.js';

function row(id: number, text = `m${id}`): ChatRow {
  return {
    username: 'u',
    msg_id: `msg-${id}`,
    msg_data: text,
    client_id: 'c',
    incremental_record_id: id,
    created_at_timestamp: 1_700_000_000_000 + id,
    is_edited: false,
  };
}

const ids = (list: MessageList) => list.rows.map((r) => r.incremental_record_id);

describe('MessageList', () => {
  it('ignores an UPDATE or DELETE of a message it has not loaded (the original crashed)', () => {
    const list = new MessageList();
    list.apply({ type: 'INSERT', row: row(1) });
    expect(list.apply({ type: 'UPDATE', row: row(7, 'edited') })).toBe('ignored');
    expect(list.apply({ type: 'DELETE', row: row(8) })).toBe('ignored');
    expect(ids(list)).toEqual([1]);
  });

  it('applies edits and deletes of loaded messages', () => {
    const list = new MessageList();
    list.addOlder([row(2), row(1)]);
    expect(list.apply({ type: 'UPDATE', row: { ...row(1, 'new text'), is_edited: true } })).toBe('updated');
    expect(list.rows[0]).toMatchObject({ msg_data: 'new text', is_edited: true });
    expect(list.apply({ type: 'DELETE', row: row(2) })).toBe('deleted');
    expect(ids(list)).toEqual([1]);
  });

  it('keeps database order and never shows a message twice when history and stream overlap', () => {
    const list = new MessageList();
    list.apply({ type: 'INSERT', row: row(5) });
    list.replaceNewest([row(5), row(4), row(3)]);
    list.apply({ type: 'INSERT', row: row(4) });
    list.addOlder([row(2), row(1), row(3)]);
    expect(ids(list)).toEqual([1, 2, 3, 4, 5]);
    expect(list.oldestId).toBe(1);
  });

  it('drops loaded messages that a fresh newest page no longer has, keeping newer ones from the stream', () => {
    const list = new MessageList();
    list.addOlder([row(1), row(2), row(3), row(4)]);
    list.apply({ type: 'INSERT', row: row(9) });
    list.replaceNewest([row(4), row(2)]); // 3 was deleted during a gap; 9 arrived after the read
    expect(ids(list)).toEqual([1, 2, 4, 9]);
  });
});

describe('parseRowChange', () => {
  it('reads the connector JSON text, as the original client did', () => {
    const text = JSON.stringify({ table: 'chat_data', type: 'INSERT', row: row(3) });
    expect(parseRowChange(text)).toEqual({ type: 'INSERT', row: row(3) });
  });

  it('returns undefined for anything else instead of throwing', () => {
    expect(parseRowChange('not json')).toBeUndefined();
    expect(parseRowChange({ table: 'other', type: 'INSERT', row: row(1) })).toBeUndefined();
    expect(parseRowChange({ table: 'chat_data', type: 'TRUNCATE', row: row(1) })).toBeUndefined();
    expect(parseRowChange({ table: 'chat_data', type: 'UPDATE', row: {} })).toBeUndefined();
  });
});

describe('parseChatEvent (rows as mutable messages)', () => {
  it('maps create, update and delete of a serial to row changes carrying it, and a summary to reactions', () => {
    expect(parseChatEvent({ action: 'message.create', serial: 's1', data: row(1) })).toEqual({
      kind: 'row',
      change: { type: 'INSERT', serial: 's1', row: row(1) },
    });
    expect(parseChatEvent({ action: 'message.update', serial: 's1', data: row(1, 'edited') })?.kind).toBe('row');
    const summary = {
      'reaction:distinct.v1': { '👍': { total: 2, clientIds: ['a', 'b'], clipped: false }, '😂': { total: 0, clientIds: [] } },
      'other:flag.v1': {},
    };
    expect(parseChatEvent({ action: 'message.summary', serial: 's1', annotations: { summary } })).toEqual({
      kind: 'reactions',
      serial: 's1',
      reactions: { '👍': { total: 2, clientIds: ['a', 'b'] } },
    });
    // the original form is still understood
    expect(parseChatEvent({ data: JSON.stringify({ table: 'chat_data', type: 'DELETE', row: row(2) }) })).toEqual({
      kind: 'row',
      change: { type: 'DELETE', row: row(2) },
    });
    expect(parseChatEvent({ action: 'message.create', serial: 's2', data: 'not a row' })).toBeUndefined();
  });

  it('applies an update in place, keeping the serial and reactions, and reactions by serial', () => {
    const list = new MessageList();
    list.apply({ type: 'INSERT', serial: 's1', row: row(1) });
    list.apply({ type: 'INSERT', serial: 's2', row: row(2) });
    expect(list.applyReactions('s1', { '👍': { total: 1, clientIds: ['c'] } })).toBe(true);
    expect(list.applyReactions('unknown', {})).toBe(false);
    list.apply({ type: 'UPDATE', serial: 's1', row: { ...row(1, 'edited'), is_edited: true } });
    expect(list.rows.map((r) => [r.msg_data, r.serial, r.reactions])).toEqual([
      ['edited', 's1', { '👍': { total: 1, clientIds: ['c'] } }],
      ['m2', 's2', undefined],
    ]);
  });
});
