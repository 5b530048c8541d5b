import type { Db } from './client';

/** Whether the database handle is still open (after shutdown it answers nothing). */
export function dbOpen(db: Db): boolean {
  return db.$client.open;
}

/** Whether a transaction is open on this connection (a caller's, or the group commit's). */
export function inTransaction(db: Db): boolean {
  return db.$client.inTransaction;
}

/** Closes the database if it is open (shutdown paths may reach it twice). */
export function closeDb(db: Db): void {
  if (db.$client.open) db.$client.close();
}
