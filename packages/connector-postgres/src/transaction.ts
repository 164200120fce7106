import type { Pgoutput } from 'pg-logical-replication';
import type { Operation } from './config.js';
import type { CapturedTable } from './setup.js';

/** Column values as pgoutput sent them: text, `null` for SQL NULL, `undefined` for an unavailable TOAST value. */
export type RawRow = Record<string, string | null | undefined>;

/** One captured row change, with its position inside its transaction. */
export interface Change {
  table: CapturedTable;
  relation: Pgoutput.MessageRelation;
  operation: Operation;
  /** The new row for INSERT/UPDATE, the old row for DELETE. */
  row: RawRow;
  /** Index among all row changes of the transaction (stable when the transaction is streamed again). */
  index: number;
}

/**
 * A committed transaction's captured changes, in order; or a slice of a big one (pgoutput sends a transaction
 * only after it committed, so a slice can be published before the COMMIT message arrives).
 */
export interface Transaction {
  /** LSN of the commit record: names the transaction in message ids. */
  commitLsn: bigint;
  /**
   * End of the commit record: confirming it lets the slot move past this transaction. Undefined on every slice of
   * a big transaction but the last, which confirm nothing by themselves.
   */
  endLsn: bigint | undefined;
  changes: Change[];
}
