import { sql } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { subscribers } from '../db/schema';
import { name } from '../db/statement';

type Row = { msisdn: string; language: string | null; region: string | null; profile: string; at: number };

/** The import bench's floor: subscriber rows written by one bare INSERT, inside the caller's unit of work. */
export class BareImportStore {
  private readonly ins: Statement<never, Row>;

  constructor(database: Database) {
    const s = subscribers;
    const p = (k: string) => sql.placeholder(k);
    this.ins = database.statement<never, Row>(
      sql`INSERT INTO ${s} (${name(s.msisdn)}, ${name(s.language)}, ${name(s.region)}, ${name(s.profile)}, ${name(s.firstSeenAt)}, ${name(s.updatedAt)})
          VALUES (${p('msisdn')}, ${p('language')}, ${p('region')}, ${p('profile')}, ${p('at')}, ${p('at')})`,
    );
  }

  /** Inserts one subscriber: msisdn, language, region, profile JSON, first seen and updated at `at`. */
  async insert(msisdn: string, language: string | undefined, region: string | undefined, profile: string, at: number, tx: Tx): Promise<void> {
    await this.ins.run({ msisdn, language: language ?? null, region: region ?? null, profile, at }, tx);
  }
}
