import type { Logger } from 'pino';
import type { Pgoutput } from 'pg-logical-replication';
import { parseLsn } from './lsn.js';
import type { CapturedTable } from './setup.js';
import type { Change, RawRow, Transaction } from './transaction.js';

/**
 * Collects pgoutput messages into committed transactions of captured changes. Column values are kept as the text
 * PostgreSQL sent (the library's type parsers are replaced), to be rendered like row_to_json later. A big
 * transaction is handed over in slices of SLICE_CHANGES, so memory stays bounded (the pipeline pauses the stream);
 * the slice points depend only on the transaction's content, so a replay cuts it, and names its messages, the same.
 */
export const SLICE_CHANGES = 5000;

export class TransactionAssembler {
  private current: { commitLsn: bigint; endLsn: bigint; changes: Change[]; nextIndex: number } | undefined;
  private readonly warned = new Set<string>();

  constructor(
    private readonly tables: Map<number, CapturedTable>,
    private readonly logger: Logger,
    private readonly onCommit: (tx: Transaction) => void,
  ) {}

  /** True between BEGIN and COMMIT: a keepalive position then may lie inside an unfinished transaction. */
  get inTransaction(): boolean {
    return this.current !== undefined;
  }

  /** Drops a half-received transaction (the stream broke); it will be sent again. */
  reset(): void {
    this.current = undefined;
  }

  handle(msg: Pgoutput.Message): void {
    switch (msg.tag) {
      case 'relation':
        // The parser caches this very object and decodes later tuples with these functions: keep raw text.
        for (const col of msg.columns) col.parser = keepText;
        return;
      case 'begin':
        this.current = { commitLsn: parseLsn(msg.commitLsn!), endLsn: 0n, changes: [], nextIndex: 0 };
        return;
      case 'insert':
        this.add(msg.relation, 'INSERT', msg.new);
        return;
      case 'update':
        this.add(msg.relation, 'UPDATE', msg.new);
        return;
      case 'delete':
        this.add(msg.relation, 'DELETE', msg.old ?? msg.key ?? {});
        return;
      case 'commit': {
        const tx = this.current;
        if (!tx) return;
        this.current = undefined;
        tx.endLsn = parseLsn(msg.commitEndLsn!);
        this.onCommit({ commitLsn: tx.commitLsn, endLsn: tx.endLsn, changes: tx.changes });
        return;
      }
      default:
        return; // truncate, type, origin, message: not part of the original's contract
    }
  }

  private add(relation: Pgoutput.MessageRelation, operation: Change['operation'], row: RawRow): void {
    const tx = this.current;
    if (!tx) throw new Error(`${operation} outside a transaction`);
    const index = tx.nextIndex++;
    const table = this.tables.get(relation.relationOid);
    if (!table || table.channels[operation].length === 0) return;
    if (operation === 'UPDATE') this.checkToast(table, row);
    tx.changes.push({ table, relation, operation, row, index });
    if (tx.changes.length >= SLICE_CHANGES) {
      this.onCommit({ commitLsn: tx.commitLsn, endLsn: undefined, changes: tx.changes });
      tx.changes = [];
    }
  }

  private checkToast(table: CapturedTable, row: RawRow): void {
    for (const key in row) {
      if (row[key] === undefined && !this.warned.has(table.label)) {
        this.warned.add(table.label);
        this.logger.warn(
          { table: table.label, column: key },
          'an UPDATE arrived without an unchanged TOASTed value (table no longer REPLICA IDENTITY FULL?): it is published as null',
        );
      }
    }
  }
}

const keepText = (text: string): string => text;
