import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { crmSnapshots } from '../db/schema';
import { name, prepare, type Prepared } from '../db/statement';

/** The package-fit snapshot's write (its rows come from the daily snapshot's scan, src/crm/snapshot-store.ts). */
export class PackageFitStore {
  private readonly put: Prepared<never, { kind: string; day: number; data: string; at: number }>;

  constructor(db: Db) {
    const t = crmSnapshots;
    this.put = prepare(
      db,
      sql`INSERT INTO ${t} (${name(t.kind)}, ${name(t.day)}, ${name(t.data)}, ${name(t.at)}) VALUES (${sql.placeholder('kind')}, ${sql.placeholder('day')}, ${sql.placeholder('data')}, ${sql.placeholder('at')})
        ON CONFLICT (${name(t.kind)}, ${name(t.day)}) DO UPDATE SET ${name(t.data)} = excluded.${name(t.data)}, ${name(t.at)} = excluded.${name(t.at)}`,
    );
  }

  /** Stores (or replaces) the day's package-fit snapshot. */
  save(day: number, data: unknown, at: number): void {
    this.put.run({ kind: 'package_fit', day, data: JSON.stringify(data), at });
  }
}
