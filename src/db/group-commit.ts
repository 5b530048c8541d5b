import type { Db } from './client';
import type { Tx, UnitOfWork } from './database';
import { sqliteTx, sqliteWritten } from './sqlite-database';

/**
 * Group commit. Writes that arrive in the same event-loop turn share one SQLite transaction, committed
 * in the check phase (setImmediate); every caller awaits that commit before it answers. Nothing
 * acknowledged is lost, and the cost of a commit (a WAL frame for every table and index page touched)
 * is paid once per batch instead of once per request. Each caller's work runs as a savepoint, so one
 * failing request rolls back only its own writes.
 */
export class GroupCommit implements UnitOfWork {
  private open = false;
  /** An asynchronous unit is between its savepoint and its release: every other writer waits its turn. */
  private unitOpen = false;
  private readonly turns: Array<() => void> = [];
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private readonly rollbackListeners: Array<() => void> = [];

  // Prepared once: exec() would parse the SQL text on every group.
  private readonly begin;
  private readonly commitStmt;
  private readonly rollback;
  private readonly unitSavepoint;
  private readonly unitRelease;
  private readonly unitRollback;
  private readonly totalChanges;
  private readonly tx: Tx;

  constructor(private readonly db: Db) {
    this.begin = db.$client.prepare('BEGIN IMMEDIATE');
    this.commitStmt = db.$client.prepare('COMMIT');
    this.rollback = db.$client.prepare('ROLLBACK');
    // Units take turns, so one savepoint name serves them all.
    this.unitSavepoint = db.$client.prepare('SAVEPOINT unit_of_work');
    this.unitRelease = db.$client.prepare('RELEASE unit_of_work');
    this.unitRollback = db.$client.prepare('ROLLBACK TO unit_of_work');
    this.totalChanges = db.$client.prepare<[], number>('SELECT total_changes()').pluck();
    this.tx = sqliteTx(db);
  }

  /**
   * Runs an asynchronous unit of work inside the current group, as a savepoint, and resolves with its
   * result once the group has committed. While `fn` awaits, another request's code may run; it must not
   * write into this unit's savepoint (a rollback of the unit would take its writes too), so units take
   * turns: one that arrives while another is open waits for it.
   */
  async unit<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    await this.turn();
    let result: T;
    try {
      this.join();
      this.unitSavepoint.run();
      const changesBefore = this.totalChanges.get()! - sqliteWritten(this.db);
      try {
        result = await fn(this.tx);
      } catch (e) {
        // Rows changed on the connection but not through the unit's statements: a synchronous writer
        // (tx(), a drizzle builder) ran inside the savepoint, between the unit's awaits, and rolling back
        // to the savepoint would silently take its rows. Fail the whole group instead: every writer in it
        // is told, as when a COMMIT fails, and none was answered yet.
        if (this.totalChanges.get()! - sqliteWritten(this.db) !== changesBefore) this.abandon(e);
        else {
          this.unitRollback.run();
          this.unitRelease.run();
        }
        throw e;
      }
      this.unitRelease.run();
    } finally {
      this.endTurn();
    }
    await new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    return result;
  }

  /** True while a group is open: an answer sent now must wait for {@link idle}. */
  get busy(): boolean {
    return this.open;
  }

  /**
   * Resolves when no group is open: at once, or after the open group commits. Every HTTP answer waits
   * for it (an onSend hook), because any write made while a group is open joins that group.
   */
  idle(): Promise<void> {
    if (!this.open) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Calls `fn` when a group fails to commit and is rolled back (in-memory caches must forget). */
  onRollback(fn: () => void): void {
    this.rollbackListeners.push(fn);
  }

  /** Commits the open group now (shutdown). */
  flush(): void {
    if (this.open) this.commit();
  }

  /** Waits until no unit is open, then holds the connection for one (first come, first served). */
  private async turn(): Promise<void> {
    if (this.unitOpen || this.turns.length > 0) await new Promise<void>((resolve) => this.turns.push(resolve));
    this.unitOpen = true;
  }

  /** Hands the connection to the next waiting unit or writer. */
  private endTurn(): void {
    this.unitOpen = false;
    this.turns.shift()?.();
  }

  private join(): void {
    if (this.open) return;
    this.begin.run();
    this.open = true;
    setImmediate(() => this.commit());
  }

  private commit(): void {
    if (!this.open) return;
    // A unit awaiting something other than the database spans event-loop turns; commit after it.
    if (this.unitOpen) {
      setImmediate(() => this.commit());
      return;
    }
    const waiters = this.waiters;
    this.waiters = [];
    this.open = false;
    try {
      this.commitStmt.run();
    } catch (err) {
      if (this.db.$client.inTransaction) this.rollback.run();
      this.failed(waiters, err);
      return;
    }
    for (const w of waiters) w.resolve();
  }

  /** Rolls the open group back because a unit failed with another writer's rows inside its savepoint. */
  private abandon(cause: unknown): void {
    const waiters = this.waiters;
    this.waiters = [];
    this.open = false;
    this.rollback.run();
    const reason = cause instanceof Error ? cause.message : String(cause);
    this.failed(waiters, new Error(`The writes of this group were rolled back with a failing unit of work (${reason}); nothing of the group was kept.`));
  }

  private failed(waiters: Array<{ reject: (e: unknown) => void }>, err: unknown): void {
    for (const fn of this.rollbackListeners) fn();
    for (const w of waiters) w.reject(err);
  }
}
