import type { Database, Statement, Tx } from '../db/database';
import { snapshotUpsert } from './snapshot-store';

/** The package-fit snapshot's write (its rows come from the daily snapshot's scan, src/crm/snapshot-store.ts). */
export class PackageFitStore {
  private readonly put: Statement<never, { kind: string; day: number; data: string; at: number }>;

  constructor(database: Database) {
    this.put = snapshotUpsert(database);
  }

  /** Stores (or replaces) the day's package-fit snapshot, in unit `tx`. */
  async save(day: number, data: unknown, at: number, tx: Tx): Promise<void> {
    await this.put.run({ kind: 'package_fit', day, data: JSON.stringify(data), at }, tx);
  }
}
