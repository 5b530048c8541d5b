import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import type { Database, Statement, Tx } from '../db/database';
import { crmState } from '../db/schema';
import { name, prepare, type Prepared } from '../db/statement';

const p = sql.placeholder;
const LEASE = 'pass_lease';

/**
 * Small persistent values of the CRM (cursor, last checks) and the pass lease, on the synchronous SQLite
 * handle: kept for the callers that still write through it (the generator, the arms conversions); the
 * pass itself uses {@link CrmState}.
 */
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

type StateParams = { key: string; value: string; now: number };
type LeaseParams = { owner: string; expiresAt: number; now: number };

/**
 * The same values and lease on either engine, for the pass's units of work. The lease is decided by one
 * statement (an upsert that changes the row only while the lease is free, expired or ours), so of two
 * processes claiming at once exactly one gets it, and another takes over once it has expired.
 */
export class CrmState {
  private readonly read: Statement<{ value: string | null }, { key: string }>;
  private readonly write: Statement<never, StateParams>;
  private readonly claimLease: Statement<never, LeaseParams>;
  private readonly releaseLease: Statement<never, { owner: string }>;

  constructor(database: Database) {
    const t = crmState;
    // The value as JSON text on both engines (jsonb arrives parsed on PostgreSQL, and a parsed string is not JSON).
    const value = database.dialect === 'sqlite' ? sql`${t.value}` : sql`${t.value}::text`;
    this.read = database.statement(sql`SELECT ${value} AS "value" FROM ${t} WHERE ${t.key} = ${p('key')}`);
    this.write = database.statement(
      sql`INSERT INTO ${t} (${name(t.key)}, ${name(t.value)}, ${name(t.updatedAt)}) VALUES (${p('key')}, ${p('value')}, ${p('now')})
          ON CONFLICT(${name(t.key)}) DO UPDATE SET ${name(t.value)} = excluded.${name(t.value)}, ${name(t.updatedAt)} = excluded.${name(t.updatedAt)}`,
    );
    this.claimLease = database.statement(
      sql`INSERT INTO ${t} (${name(t.key)}, ${name(t.value)}, ${name(t.owner)}, ${name(t.expiresAt)}, ${name(t.updatedAt)}) VALUES (${LEASE}, NULL, ${p('owner')}, ${p('expiresAt')}, ${p('now')})
          ON CONFLICT(${name(t.key)}) DO UPDATE SET ${name(t.owner)} = excluded.${name(t.owner)}, ${name(t.expiresAt)} = excluded.${name(t.expiresAt)}, ${name(t.updatedAt)} = excluded.${name(t.updatedAt)}
          WHERE ${t.owner} IS NULL OR ${t.expiresAt} IS NULL OR ${t.expiresAt} <= excluded.${name(t.updatedAt)} OR ${t.owner} = excluded.${name(t.owner)}`,
    );
    this.releaseLease = database.statement(sql`UPDATE ${t} SET ${name(t.owner)} = NULL, ${name(t.expiresAt)} = NULL WHERE ${t.key} = ${LEASE} AND ${t.owner} = ${p('owner')}`);
  }

  /** A stored value, or `fallback` (inside `tx` when given: it sees the unit's writes). */
  async get<T>(key: string, fallback: T, tx?: Tx): Promise<T> {
    const r = await this.read.get({ key }, tx);
    return r && r.value !== null ? (JSON.parse(r.value) as T) : fallback;
  }

  /** Stores a value inside `tx`. */
  async set(key: string, value: unknown, now: number, tx: Tx): Promise<void> {
    await this.write.run({ key, value: JSON.stringify(value), now }, tx);
  }

  /** Claims the pass lease for `owner` until `expiresAt`; false while another live pass holds it. */
  async claim(owner: string, now: number, expiresAt: number, tx: Tx): Promise<boolean> {
    return (await this.claimLease.run({ owner, expiresAt, now }, tx)) === 1;
  }

  /** Gives the lease back (only `owner`'s). */
  async release(owner: string, tx: Tx): Promise<void> {
    await this.releaseLease.run({ owner }, tx);
  }
}
