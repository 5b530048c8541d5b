import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { bool, json } from '../db/portable';
import { subscribers } from '../db/schema';
import { selectList } from '../db/select-list';
import { name } from '../db/statement';
import type { ProfileValue } from './profile-schema';

/** A subscriber row as the gateway uses it (the schema's row: profile parsed, opt-out a boolean). */
export type Subscriber = typeof subscribers.$inferSelect;

/** A profile as stored, unparsed: the check of stored profiles must see text that is not JSON. */
export type StoredProfileRow = Pick<Subscriber, 'id' | 'msisdn' | 'language' | 'region' | 'crop'> & { profile: string };

/** Fields of the profile that have their own column; others live in `profile`. */
export const PROFILE_COLUMNS = ['language', 'region', 'crop', 'operator'] as const;

/** What `update` may write. */
export type SubscriberPatch = Partial<Pick<Subscriber, 'language' | 'region' | 'crop' | 'operator' | 'profile'>>;

const p = <N extends string>(n: N) => sql.placeholder(n);
const t = subscribers;

/** A row as either engine returns it: profile JSON text or parsed jsonb, opt-out 0/1 or a boolean. */
type PortableRow = Omit<Subscriber, 'profile' | 'optedOut'> & { profile: unknown; optedOut: unknown };

const fromPortable = (r: PortableRow): Subscriber => ({ ...r, profile: json<Subscriber['profile']>(r.profile), optedOut: bool(r.optedOut) });

/** What `createIn` inserts. */
type NewSubscriber = { msisdn: string; operator: string | null; firstSeenAt: number; lastSeenAt: number | null; updatedAt: number };

/**
 * Data access for subscribers. Every USSD hop looks its subscriber up by number, so the hot statements
 * are raw, prepared once, and map rows by hand (drizzle's per-row mapping showed in the hop profile).
 * Rows are not cached: a row created in a transaction that later rolls back to a savepoint would stay
 * in a cache with an id SQLite hands out again, and nothing here sees that rollback.
 */
export class SubscriberRepo {
  private readonly byMsisdnIn;
  private readonly byIdIn;
  private readonly insertIn;
  private readonly touchIn;
  private readonly optOutIn;
  private readonly profilePageStmt;
  private readonly profileWrite;
  private readonly updatesIn = new Map<string, Statement<never, Record<string, unknown>>>();
  private readonly all: SQL;

  constructor(private readonly database: Database) {
    const all = selectList(t);
    this.all = all;
    const cols = [t.msisdn, t.operator, t.firstSeenAt, t.lastSeenAt, t.updatedAt];
    const returning = returningAll();
    // The profile as text on both engines (jsonb cast back to its JSON text): the check parses it itself.
    this.profilePageStmt = database.statement<StoredProfileRow, { after: number; limit: number }>(
      sql`SELECT ${t.id} AS "id", ${t.msisdn} AS "msisdn", ${t.language} AS "language", ${t.region} AS "region", ${t.crop} AS "crop", CAST(${t.profile} AS TEXT) AS "profile"
        FROM ${t} WHERE ${t.id} > ${p('after')} ORDER BY ${t.id} LIMIT ${p('limit')}`,
    );
    this.profileWrite = database.statement<never, { id: number; profile: string }>(sql`UPDATE ${t} SET ${name(t.profile)} = ${p('profile')} WHERE ${name(t.id)} = ${p('id')}`);

    this.byMsisdnIn = database.statement<PortableRow, { msisdn: string }>(sql`SELECT ${all} FROM ${t} WHERE ${t.msisdn} = ${p('msisdn')}`);
    this.byIdIn = database.statement<PortableRow, { id: number }>(sql`SELECT ${all} FROM ${t} WHERE ${t.id} = ${p('id')}`);
    // A number first heard from by two processes at once is created once: the second finds it (ensureIn).
    this.insertIn = database.statement<PortableRow, NewSubscriber>(
      sql`INSERT INTO ${t} (${sql.join(cols.map(name), sql`, `)}) VALUES (${p('msisdn')}, ${p('operator')}, ${p('firstSeenAt')}, ${p('lastSeenAt')}, ${p('updatedAt')})
        ON CONFLICT (${name(t.msisdn)}) DO NOTHING RETURNING ${returning}`,
    );
    // Only forward, decided by the row itself: a late event never rewinds it, whichever process writes.
    this.touchIn = database.statement<never, { id: number; at: number; after: number }>(
      sql`UPDATE ${t} SET ${name(t.lastSeenAt)} = ${p('at')} WHERE ${name(t.id)} = ${p('id')} AND (${name(t.lastSeenAt)} IS NULL OR ${name(t.lastSeenAt)} < ${p('after')})`,
    );
    // opted_out is bound as 0/1: SQLite's integer, and a valid boolean literal for PostgreSQL.
    this.optOutIn = database.statement<never, { id: number; optedOut: number; optedOutAt: number | null; at: number }>(
      sql`UPDATE ${t} SET ${name(t.optedOut)} = ${p('optedOut')}, ${name(t.optedOutAt)} = ${p('optedOutAt')}, ${name(t.updatedAt)} = ${p('at')} WHERE ${name(t.id)} = ${p('id')}`,
    );
  }

  /** The subscriber with this E.164 number, or null (inside unit `tx` when given). */
  async findByMsisdnIn(tx: Tx | undefined, msisdn: string): Promise<Subscriber | null> {
    const r = await this.byMsisdnIn.get({ msisdn }, tx);
    return r ? fromPortable(r) : null;
  }

  /** The subscriber with this id, or null (inside unit `tx` when given). */
  async findByIdIn(tx: Tx | undefined, id: number): Promise<Subscriber | null> {
    const r = await this.byIdIn.get({ id }, tx);
    return r ? fromPortable(r) : null;
  }

  /** The subscribers among `msisdns`, by number, inside unit `tx`: one query per 500 numbers (SQLite's bound-value limit stays far off). */
  async findManyByMsisdnIn(tx: Tx, msisdns: readonly string[]): Promise<Map<string, Subscriber>> {
    const found = new Map<string, Subscriber>();
    for (let i = 0; i < msisdns.length; i += 500) {
      const chunk = msisdns.slice(i, i + 500);
      const rows = await tx.all<PortableRow>(sql`SELECT ${this.all} FROM ${t} WHERE ${t.msisdn} IN (${sql.join(
        chunk.map((m) => sql`${m}`),
        sql`, `,
      )})`);
      for (const r of rows) found.set(r.msisdn, fromPortable(r));
    }
    return found;
  }

  /** Creates the subscriber in unit `tx`, or returns null when the number already exists (created meanwhile). */
  async createIn(tx: Tx, msisdn: string, operator: string | null, now: number, seen = true): Promise<Subscriber | null> {
    const r = await this.insertIn.get({ msisdn, operator, firstSeenAt: now, lastSeenAt: seen ? now : null, updatedAt: now }, tx);
    return r ? fromPortable(r) : null;
  }

  /** Moves last-seen forward to `now` in unit `tx` (never back). */
  async touchLastSeenIn(tx: Tx, id: number, now: number): Promise<void> {
    await this.touchIn.run({ id, at: now, after: now }, tx);
  }

  /** Writes profile columns and custom fields in unit `tx`. */
  async updateIn(tx: Tx, id: number, patch: SubscriberPatch, now: number): Promise<void> {
    const fields = [...PROFILE_COLUMNS, 'profile' as const].filter((k) => patch[k] !== undefined);
    const key = fields.join(',');
    let stmt = this.updatesIn.get(key);
    if (!stmt) {
      const set = [sql`${name(t.updatedAt)} = ${p('updatedAt')}`, ...fields.map((k) => sql`${name(t[k])} = ${p(k)}`)];
      stmt = this.database.statement<never, Record<string, unknown>>(sql`UPDATE ${t} SET ${sql.join(set, sql`, `)} WHERE ${name(t.id)} = ${p('id')}`);
      this.updatesIn.set(key, stmt);
    }
    const values: Record<string, unknown> = { id, updatedAt: now };
    for (const k of fields) values[k] = k === 'profile' ? JSON.stringify(patch.profile) : patch[k];
    await stmt.run(values, tx);
  }

  /** Sets or clears the opt-out flag in unit `tx`. */
  async setOptOutIn(tx: Tx, id: number, optedOut: boolean, now: number): Promise<void> {
    await this.optOutIn.run({ id, optedOut: optedOut ? 1 : 0, optedOutAt: optedOut ? now : null, at: now }, tx);
  }

  /** Stored profiles in id order after `after`, unparsed (a page of `vasgw migrate`'s profile check). */
  storedProfiles(after: number, limit: number): Promise<StoredProfileRow[]> {
    return this.profilePageStmt.all({ after, limit });
  }

  /** Rewrites profiles (typed values for text stored before the schema) in unit of work `tx`. */
  async rewriteProfilesIn(tx: Tx, profiles: ReadonlyArray<{ id: number; profile: Record<string, ProfileValue> }>): Promise<void> {
    for (const r of profiles) await this.profileWrite.run({ id: r.id, profile: JSON.stringify(r.profile) }, tx);
  }
}

/** RETURNING takes bare names: each column aliased to its schema key, as selectList does. */
function returningAll(): SQL {
  return sql.join(
    Object.entries(getTableColumns(t)).map(([key, c]) => sql`${name(c)} AS ${sql.identifier(key)}`),
    sql`, `,
  );
}
