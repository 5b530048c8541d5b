import type { Db } from './client';

/** Whether the database handle is still open (after shutdown it answers nothing). */
export function dbOpen(db: Db): boolean {
  return db.$client.open;
}

/** Whether a transaction is open on this connection (a caller's, or the group commit's). */
export function inTransaction(db: Db): boolean {
  return db.$client.inTransaction;
}
