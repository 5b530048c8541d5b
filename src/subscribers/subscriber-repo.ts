import { eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { tx } from '../db/client';
import { subscribers } from '../db/schema';
import { prepare, type Prepared } from '../db/statement';
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

/**
 * Data access for subscribers. Every USSD hop touches a subscriber, so the statements are prepared
 * once; profile updates are prepared once per set of columns they write (a handful in practice).
 */
export class SubscriberRepo {
  private readonly byMsisdn;
  private readonly byId;
  private readonly insert;
  private readonly touch;
  private readonly optOut;
  private readonly profilePageStmt: Prepared<StoredProfileRow, { after: number; limit: number }>;
  private readonly profileWrite;
  private readonly updates = new Map<string, { run(values: Record<string, unknown>): unknown }>();

  constructor(private readonly db: Db) {
    this.byMsisdn = db.select().from(subscribers).where(eq(subscribers.msisdn, p('msisdn'))).prepare();
    this.byId = db.select().from(subscribers).where(eq(subscribers.id, p('id'))).prepare();
    this.insert = db
      .insert(subscribers)
      .values({ msisdn: p('msisdn'), operator: p('operator'), firstSeenAt: p('firstSeenAt'), lastSeenAt: p('lastSeenAt'), updatedAt: p('updatedAt') })
      .returning()
      .prepare();
    this.touch = db
      .update(subscribers)
      .set({ lastSeenAt: sql`max(coalesce(${subscribers.lastSeenAt}, 0), ${p('at')})` })
      .where(eq(subscribers.id, p('id')))
      .prepare();
    this.optOut = db
      .update(subscribers)
      .set({ optedOut: sql`${p('optedOut')}`, optedOutAt: sql`${p('optedOutAt')}`, updatedAt: sql`${p('at')}` })
      .where(eq(subscribers.id, p('id')))
      .prepare();
    const s = subscribers;
    this.profilePageStmt = prepare<StoredProfileRow, { after: number; limit: number }>(
      db,
      sql`SELECT ${s.id}, ${s.msisdn}, ${s.language}, ${s.region}, ${s.crop}, ${s.profile} FROM ${s} WHERE ${s.id} > ${p('after')} ORDER BY ${s.id} LIMIT ${p('limit')}`,
    );
    this.profileWrite = db
      .update(subscribers)
      .set({ profile: sql`${p('profile')}` })
      .where(eq(subscribers.id, p('id')))
      .prepare();
  }

  /** The subscriber with this E.164 number, or null. */
  findByMsisdn(msisdn: string): Subscriber | null {
    return this.byMsisdn.get({ msisdn }) ?? null;
  }

  /** The subscriber with this id, or null. */
  findById(id: number): Subscriber | null {
    return this.byId.get({ id }) ?? null;
  }

  /** Creates the subscriber; last-seen is set only when the subscriber is the one getting in touch (`seen`). */
  create(msisdn: string, operator: string | null, now: number, seen = true): Subscriber {
    return this.insert.get({ msisdn, operator, firstSeenAt: now, lastSeenAt: seen ? now : null, updatedAt: now })!;
  }

  /** Moves last-seen forward (never back, so late events do not rewind it). */
  touchLastSeen(id: number, now: number): void {
    this.touch.run({ id, at: now });
  }

  /** Writes profile columns and custom fields. */
  update(id: number, patch: SubscriberPatch, now: number): void {
    const fields = [...PROFILE_COLUMNS, 'profile' as const].filter((k) => patch[k] !== undefined);
    const key = fields.join(',');
    let stmt = this.updates.get(key);
    if (!stmt) {
      const set: Record<string, SQL> = { updatedAt: sql`${p('updatedAt')}` };
      for (const k of fields) set[k] = sql`${p(k)}`;
      stmt = this.db.update(subscribers).set(set).where(eq(subscribers.id, p('id'))).prepare();
      this.updates.set(key, stmt);
    }
    const values: Record<string, unknown> = { id, updatedAt: now };
    for (const k of fields) values[k] = k === 'profile' ? JSON.stringify(patch.profile) : patch[k];
    stmt.run(values);
  }

  /** Sets or clears the opt-out flag. */
  setOptOut(id: number, optedOut: boolean, now: number): void {
    this.optOut.run({ id, optedOut: optedOut ? 1 : 0, optedOutAt: optedOut ? now : null, at: now });
  }

  /** Stored profiles in id order after `after`, unparsed (a page of `vasgw migrate`'s profile check). */
  storedProfiles(after: number, limit: number): StoredProfileRow[] {
    return this.profilePageStmt.all({ after, limit });
  }

  /** Rewrites profiles (typed values for text stored before the schema), in one transaction. */
  rewriteProfiles(profiles: ReadonlyArray<{ id: number; profile: Record<string, ProfileValue> }>): void {
    tx(this.db, () => {
      for (const r of profiles) this.profileWrite.run({ id: r.id, profile: JSON.stringify(r.profile) });
    });
  }
}

