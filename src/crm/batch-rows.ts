import type { BatchWriter } from '../db/batch-writer';
import type { Tx } from '../db/database';

/** Rows queued before their writes are settled: one await per full statement, not one per row. */
const SETTLE_EVERY = 100;

/**
 * Writes `rows` through `writer` inside `tx` and flushes it. A row only fills the writer's buffer until a
 * hundred make a statement, so the writes are awaited together every hundred rows instead of each in
 * turn: a pass writes up to a million rows, and an await per row would be most of the flush's cost.
 */
export async function writeRows(writer: BatchWriter, rows: Iterable<readonly unknown[]>, tx: Tx): Promise<number> {
  let pending: Promise<void>[] = [];
  let n = 0;
  for (const r of rows) {
    pending.push(writer.add(r, tx));
    n++;
    if (pending.length === SETTLE_EVERY) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  await writer.flush(tx);
  return n;
}
