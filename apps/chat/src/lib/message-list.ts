import type { ChatRow, Reactions, RowChange } from './rows.js';

/**
 * The loaded window of the conversation, ordered by incremental_record_id (the database's order). Pure: the
 * store wraps it in reactive state. Rules that fix the original's faults live here, where they are testable:
 * an UPDATE or DELETE of a message not loaded is ignored; an INSERT already seen (history and stream overlap)
 * is not added twice.
 */
export class MessageList {
  rows: ChatRow[] = [];

  /** Applies a change from the stream; returns what it did. */
  apply(change: RowChange): 'inserted' | 'updated' | 'deleted' | 'ignored' {
    const i = this.indexOf(change.row.msg_id);
    const row = change.serial ? { ...change.row, serial: change.serial } : change.row;
    switch (change.type) {
      case 'INSERT':
        if (i >= 0) return 'ignored';
        this.insertSorted(row);
        return 'inserted';
      case 'UPDATE':
        if (i < 0) return 'ignored';
        // in place: same position, same serial, its reactions kept
        this.rows[i] = { ...this.rows[i], ...row };
        return 'updated';
      case 'DELETE':
        if (i < 0) return 'ignored';
        this.rows.splice(i, 1);
        return 'deleted';
    }
  }

  /** Sets the reactions of the message with this serial (a `message.summary`); false when it is not loaded. */
  applyReactions(serial: string, reactions: Reactions): boolean {
    const i = this.rows.findIndex((r) => r.serial === serial);
    if (i < 0) return false;
    this.rows[i] = { ...this.rows[i], reactions };
    return true;
  }

  /** Adds a page of older messages (any order); rows already loaded are kept as they are (the stream is newer). */
  addOlder(page: ChatRow[]): number {
    let added = 0;
    for (const row of page) {
      if (this.indexOf(row.msg_id) >= 0) continue;
      this.insertSorted(row);
      added++;
    }
    return added;
  }

  /**
   * Replaces the newest part of the window with `page` (the newest messages from the database): loaded
   * messages within the page's range that the page lacks were deleted while we were not listening.
   */
  replaceNewest(page: ChatRow[]): void {
    if (page.length === 0) return;
    const ids = page.map((r) => r.incremental_record_id);
    const oldest = Math.min(...ids);
    const newest = Math.max(...ids);
    // Rows newer than the page arrived on the stream after the read: keep them.
    this.rows = this.rows.filter((r) => r.incremental_record_id < oldest || r.incremental_record_id > newest);
    for (const row of page) if (this.indexOf(row.msg_id) < 0) this.insertSorted(row);
  }

  get oldestId(): number | undefined {
    return this.rows[0]?.incremental_record_id;
  }

  private indexOf(msgId: string): number {
    return this.rows.findIndex((r) => r.msg_id === msgId);
  }

  private insertSorted(row: ChatRow): void {
    let i = this.rows.length;
    while (i > 0 && this.rows[i - 1].incremental_record_id > row.incremental_record_id) i--;
    this.rows.splice(i, 0, row);
  }
}
