import { sql } from 'drizzle-orm';
import type { Tx } from './database';

/**
 * Runs `fn` in a savepoint of unit `tx`: when it throws, only its own writes are undone and the error goes
 * to the caller, whose unit goes on (one refused message does not undo a batch). `name` is a fixed SQL
 * identifier, never a value. Both engines spell savepoints the same; on PostgreSQL a failed statement
 * inside `fn` is undone with it, so the unit stays usable.
 */
export async function inSavepoint<T>(tx: Tx, name: string, fn: () => T | Promise<T>): Promise<T> {
  const id = sql.raw(name);
  await tx.run(sql`SAVEPOINT ${id}`);
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await tx.run(sql`ROLLBACK TO SAVEPOINT ${id}`);
    await tx.run(sql`RELEASE SAVEPOINT ${id}`);
    throw err;
  }
  await tx.run(sql`RELEASE SAVEPOINT ${id}`);
  return result;
}
