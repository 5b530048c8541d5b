import type { Db } from './client';
import { tx } from './client';

/**
 * Group commit. Writes that arrive in the same event-loop turn share one SQLite transaction, committed
 * in the check phase (setImmediate); every caller awaits that commit before it answers. Nothing
 * acknowledged is lost, and the cost of a commit (a WAL frame for every table and index page touched)
 * is paid once per batch instead of once per request. Each caller's work runs as a savepoint, so one
 * failing request rolls back only its own writes.
 */
export class GroupCommit {
  private open = false;
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private readonly rollbackListeners: Array<() => void> = [];

  // Prepared once: exec() would parse the SQL text on every group.
  private readonly begin;
  private readonly commitStmt;
  private readonly rollback;

  constructor(private readonly db: Db) {
    this.begin = db.$client.prepare('BEGIN IMMEDIATE');
    this.commitStmt = db.$client.prepare('COMMIT');
    this.rollback = db.$client.prepare('ROLLBACK');
  }

  /** Runs `fn` inside the current group and resolves with its result once the group has committed. */
  async run<T>(fn: () => T): Promise<T> {
    this.join();
    const result = tx(this.db, fn);
    await new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    return result;
  }

  /**
   * As {@link run}, for a function that is already all or nothing (it runs its own transaction, which
   * inside the group is a savepoint): one savepoint fewer per call, on the USSD hop's path.
   */
  async runAtomic<T>(fn: () => T): Promise<T> {
    this.join();
    const result = fn();
    await new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    return result;
  }

  /**
   * Resolves when no group is open: at once, or after the open group commits. Every HTTP answer waits
   * for it (an onSend hook), because any write made while a group is open joins that group.
   */
  /** True while a group is open: an answer sent now must wait for {@link idle}. */
  get busy(): boolean {
    return this.open;
  }

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

  private join(): void {
    if (this.open) return;
    this.begin.run();
    this.open = true;
    setImmediate(() => this.commit());
  }

  private commit(): void {
    if (!this.open) return;
    const waiters = this.waiters;
    this.waiters = [];
    this.open = false;
    try {
      this.commitStmt.run();
    } catch (err) {
      if (this.db.$client.inTransaction) this.rollback.run();
      for (const fn of this.rollbackListeners) fn();
      for (const w of waiters) w.reject(err);
      return;
    }
    for (const w of waiters) w.resolve();
  }
}
