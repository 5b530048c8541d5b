import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { crmState } from '../db/schema';
import { name, prepare, type Prepared } from '../db/statement';

const p = sql.placeholder;
const LEASE = 'pass_lease';

/** Small persistent values of the CRM (cursor, last checks) and the pass lease. */
export class CrmStateStore {
  private readonly read: Prepared<{ value: string | null }, { key: string }>;
  private readonly write: Prepared<never, { key: string; value: string; now: number }>;
  private readonly claimLease: Prepared<never, { owner: string; expiresAt: number; now: number }>;
  private readonly releaseLease: Prepared<never, { owner: string }>;

  constructor(db: Db) {
    const t = crmState;
    this.read = prepare(db, sql`SELECT ${t.value} AS value FROM ${t} WHERE ${t.key} = ${p('key')}`);
    this.write = prepare(
      db,
      sql`INSERT INTO ${t} (${name(t.key)}, ${name(t.value)}, ${name(t.updatedAt)}) VALUES (${p('key')}, ${p('value')}, ${p('now')})
          ON CONFLICT(${name(t.key)}) DO UPDATE SET ${name(t.value)} = excluded.${name(t.value)}, ${name(t.updatedAt)} = excluded.${name(t.updatedAt)}`,
    );
    this.claimLease = prepare(
      db,
      sql`INSERT INTO ${t} (${name(t.key)}, ${name(t.value)}, ${name(t.owner)}, ${name(t.expiresAt)}, ${name(t.updatedAt)}) VALUES (${LEASE}, NULL, ${p('owner')}, ${p('expiresAt')}, ${p('now')})
          ON CONFLICT(${name(t.key)}) DO UPDATE SET ${name(t.owner)} = excluded.${name(t.owner)}, ${name(t.expiresAt)} = excluded.${name(t.expiresAt)}, ${name(t.updatedAt)} = excluded.${name(t.updatedAt)}
          WHERE ${t.owner} IS NULL OR ${t.expiresAt} IS NULL OR ${t.expiresAt} <= ${p('now')} OR ${t.owner} = excluded.${name(t.owner)}`,
    );
    this.releaseLease = prepare(db, sql`UPDATE ${t} SET ${name(t.owner)} = NULL, ${name(t.expiresAt)} = NULL WHERE ${t.key} = ${LEASE} AND ${t.owner} = ${p('owner')}`);
  }

  /** A stored value, or `fallback`. */
  get<T>(key: string, fallback: T): T {
    const r = this.read.get({ key });
    return r && r.value !== null ? (JSON.parse(r.value) as T) : fallback;
  }

  /** Stores a value. */
  set(key: string, value: unknown, now: number): void {
    this.write.run({ key, value: JSON.stringify(value), now });
  }

  /**
   * Claims the pass lease for `owner` until `expiresAt`, atomically in the database: a second process (or a
   * CLI run next to the server) gets false while a live pass holds it. An expired lease is taken over.
   */
  claim(owner: string, now: number, expiresAt: number): boolean {
    return this.claimLease.run({ owner, expiresAt, now }) === 1;
  }

  /** Gives the lease back. */
  release(owner: string): void {
    this.releaseLease.run({ owner });
  }
}
