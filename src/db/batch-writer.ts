import { sql, type SQL } from 'drizzle-orm';
import type { Database, Statement, Tx } from './database';

/** Rows per multi-row statement: 100 rows of even 40 columns stay far below PostgreSQL's 65,535 parameters. */
const ROWS = 100;

/**
 * Multi-row INSERT for both engines (the unit-of-work twin of src/db/batch-insert.ts): one statement per
 * 100 rows instead of one per row, prepared once. `head` is `INSERT INTO t (cols) VALUES`, `tail` an
 * optional ON CONFLICT clause; both are built from the schema objects and hold no values. Rows are
 * written inside the unit given to `add` and `flush`; call `flush` before the unit ends.
 */
export class BatchWriter {
  // Placeholders are named by position ("0", "1", ...), so a batch binds from its array of values as it
  // is: building an object of up to 4,000 keys per statement cost more than the statement.
  private readonly many: Statement<never, Record<string, unknown>>;
  private readonly one: Statement<never, Record<string, unknown>>;
  private buf: unknown[] = [];
  /** Rows written so far (by this writer's statements). */
  written = 0;

  constructor(database: Database, head: SQL, private readonly cols: number, tail: SQL = sql``) {
    this.many = database.statement(sql`${head} ${rowsOf(ROWS, cols)} ${tail}`);
    this.one = database.statement(sql`${head} ${rowsOf(1, cols)} ${tail}`);
  }

  /** Queues a row; writes a full batch of 100 in `tx`. */
  async add(row: readonly unknown[], tx: Tx): Promise<void> {
    for (let i = 0; i < this.cols; i++) this.buf.push(row[i]);
    if (this.buf.length === ROWS * this.cols) {
      const values = this.buf;
      this.buf = [];
      this.written += await this.many.run(byPosition(values), tx);
    }
  }

  /** Writes what is queued, in `tx`. */
  async flush(tx: Tx): Promise<void> {
    const rest = this.buf;
    this.buf = [];
    for (let i = 0; i < rest.length; i += this.cols) this.written += await this.one.run(byPosition(rest.slice(i, i + this.cols)), tx);
  }
}

/** An array read as the values of placeholders named "0", "1", ...: element i is the value of "i". */
function byPosition(values: unknown[]): Record<string, unknown> {
  return values as unknown as Record<string, unknown>;
}

/** `(?, ?), (?, ?)`: `rows` rows of `cols` placeholders named 0, 1, ... in row order. */
function rowsOf(rows: number, cols: number): SQL {
  const list: SQL[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: SQL[] = [];
    for (let c = 0; c < cols; c++) cells.push(sql.placeholder(String(r * cols + c)) as unknown as SQL);
    list.push(sql`(${sql.join(cells, sql`, `)})`);
  }
  return sql.join(list, sql`, `);
}
