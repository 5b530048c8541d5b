import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { subscribers } from '../db/schema';
import { prepare, type Prepared } from '../db/statement';

/** The snapshot's reads of the subscriber base. */
export class SnapshotStore {
  private readonly profiles: Prepared<[string | null]>;

  constructor(db: Db) {
    this.profiles = prepare(db, sql`SELECT ${subscribers.profile} FROM ${subscribers}`);
    this.profiles.statement.raw();
  }

  /** Every subscriber's profile JSON as stored, one at a time. */
  *allProfiles(): Generator<string | null> {
    for (const [p] of this.profiles.iterate()) yield p;
  }
}
