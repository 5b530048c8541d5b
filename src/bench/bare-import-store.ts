import type { Statement } from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { subscribers } from '../db/schema';
import { name, prepare } from '../db/statement';

/** The import bench's floor: subscriber rows written by one bare INSERT, bound positionally (no per-row object). */
export class BareImportStore {
  private readonly ins: Statement;

  constructor(private readonly db: Db) {
    const s = subscribers;
    const p = (k: string) => sql.placeholder(k);
    this.ins = prepare(
      db,
      sql`INSERT INTO ${s} (${name(s.msisdn)}, ${name(s.language)}, ${name(s.region)}, ${name(s.profile)}, ${name(s.firstSeenAt)}, ${name(s.updatedAt)})
          VALUES (${p('msisdn')}, ${p('language')}, ${p('region')}, ${p('profile')}, ${p('firstSeenAt')}, ${p('updatedAt')})`,
    ).statement;
  }

  /** Inserts one subscriber: msisdn, language, region, profile JSON, first seen, updated. */
  insert(msisdn: string, language: string | undefined, region: string | undefined, profile: string, at: number): void {
    this.ins.run(msisdn, language, region, profile, at, at);
  }

  /** Closes the connection. */
  close(): void {
    this.db.$client.close();
  }
}
