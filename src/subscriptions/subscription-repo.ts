import { and, asc, eq, isNotNull, lte, sql, type Column, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { billingEvents, subscriptions } from '../db/schema';
import { prepare } from '../db/statement';
import type { Folded, FoldEvent, StoredFold } from './lifecycle';

/** A subscription as stored. */
export type Subscription = typeof subscriptions.$inferSelect;

/** A subscription's head with its stored fold state and flagged-event count: all ingest reads of it. */
export type SubscriptionWithState = SubscriptionHead & StoredFold & { flags: number };

/** What ingest and re-derivation need of a subscription: no JSON to decode on the hot path. */
export type SubscriptionHead = Pick<Subscription, 'id' | 'subscriberId' | 'serviceId' | 'state' | 'evaluatedAt' | 'nextRenewalAt' | 'deadlineAt'>;

/** A subscription with the subscriber's number, for lists. */
export type SubscriptionListRow = Subscription & { msisdn: string };

/** A billing event as stored. */
export type BillingEvent = typeof billingEvents.$inferSelect;

/** A new billing event (its id is given by the database, its flag by the fold). */
export type NewBillingEvent = Omit<typeof billingEvents.$inferInsert, 'id' | 'flag'>;

/** What the fold and the flag bookkeeping read of each event. */
export type FoldRow = Pick<BillingEvent, 'id' | 'type' | 'at' | 'amountMinor' | 'nextRenewalAt' | 'autoRenew' | 'flag'>;

/** The fold's view of a stored event. */
export const toFoldEvent = (r: FoldRow): FoldEvent => ({
  id: r.id,
  type: r.type,
  at: r.at,
  amountMinor: r.amountMinor,
  nextRenewalAt: r.nextRenewalAt,
  autoRenew: r.autoRenew,
});

const p = sql.placeholder;
/** A value bound as given in an UPDATE's SET (drizzle's set() types take no placeholders); encoded by the caller. */
const bind = (name: string) => sql`${p(name)}`;
const S = subscriptions;
const E = billingEvents;
// The indexed columns a save may leave alone are read with the head (see save()).
const HEAD = { id: S.id, subscriberId: S.subscriberId, serviceId: S.serviceId, state: S.state, evaluatedAt: S.evaluatedAt, nextRenewalAt: S.nextRenewalAt, deadlineAt: S.deadlineAt };
const FOLD = { id: E.id, type: E.type, at: E.at, amountMinor: E.amountMinor, nextRenewalAt: E.nextRenewalAt, autoRenew: E.autoRenew, flag: E.flag };

/** `col AS "key", ...` for a raw statement whose rows should carry the schema's property names. */
const columns = (cols: Record<string, Column>): SQL => sql.join(Object.entries(cols).map(([k, c]) => sql`${c} AS ${sql.identifier(k)}`), sql`, `);

/** A fold row as SQLite hands it back. */
type RawFoldRow = Omit<FoldRow, 'autoRenew'> & { autoRenew: number | null };

/**
 * The fold's read, prepared raw: drizzle's row mapping cost more than the read itself. The boolean
 * column is decoded by hand.
 */
function rawStatements(db: Db) {
  return {
    foldRows: prepare<RawFoldRow, { subscriptionId: string }>(db, sql`SELECT ${columns(FOLD)} FROM ${E} WHERE ${E.subscriptionId} = ${p('subscriptionId')} ORDER BY ${E.at}, ${E.id}`),
  };
}

/** The indexed columns of a subscription that a save writes only when their value changes. */
type IndexedChange = 'state' | 'nextRenewalAt' | 'deadlineAt';
const INDEXED: readonly IndexedChange[] = ['state', 'nextRenewalAt', 'deadlineAt'];

/**
 * The UPDATE that saves a folded state, writing the indexed columns in `changed` (a bit per INDEXED
 * entry) and every unindexed one. SQLite rewrites an index entry whenever its column is SET, even to
 * the same value, and each rewrite dirties a page the group commit must write: a renewal that keeps
 * the state `active` then leaves subscriptions_state_idx alone.
 */
function saveStatement(db: Db, changed: number) {
  const set = {
    stateEnteredAt: bind('stateEnteredAt'),
    entered: bind('entered'),
    subscribedAt: bind('subscribedAt'),
    renewals: bind('renewals'),
    consecutiveFailures: bind('consecutiveFailures'),
    lastChargedAt: bind('lastChargedAt'),
    revenueMinor: bind('revenueMinor'),
    autoRenew: bind('autoRenew'),
    pendingAction: bind('pendingAction'),
    flags: bind('flags'),
    evaluatedAt: bind('evaluatedAt'),
    lastEventAt: bind('lastEventAt'),
    updatedAt: bind('now'),
    ...Object.fromEntries(INDEXED.filter((_, bit) => changed & (1 << bit)).map((c) => [c, bind(c)])),
  };
  return db.update(S).set(set).where(eq(S.id, p('id'))).prepare();
}

/** Every statement the repository runs more than rarely, prepared once. */
function statements(db: Db) {
  return {
    find: db
      .select(HEAD)
      .from(S)
      .where(and(eq(S.subscriberId, p('subscriberId')), eq(S.serviceId, p('serviceId'))))
      .prepare(),
    create: db
      .insert(S)
      .values({ id: p('id'), subscriberId: p('subscriberId'), serviceId: p('serviceId'), state: 'none', currency: p('currency'), evaluatedAt: p('now'), createdAt: p('now'), updatedAt: p('now') })
      .prepare(),
    insertEvent: db
      .insert(E)
      .values({
        subscriptionId: p('subscriptionId'),
        source: p('source'),
        externalId: p('externalId'),
        type: p('type'),
        at: p('at'),
        receivedAt: p('receivedAt'),
        amountMinor: p('amountMinor'),
        currency: p('currency'),
        reason: p('reason'),
        nextRenewalAt: p('nextRenewalAt'),
        // Nullable encoded columns are bound as stored (see insertEvent): drizzle's encoders would turn null into 0 / "null".
        autoRenew: sql`${p('autoRenew')}`,
        detail: sql`${p('detail')}`,
      })
      .prepare(),
    events: db.select().from(E).where(eq(E.subscriptionId, p('subscriptionId'))).orderBy(asc(E.at), asc(E.id)).prepare(),
    setFlag: db.update(E).set({ flag: bind('flag') }).where(eq(E.id, p('id'))).prepare(),
    due: db
      .select({ id: S.id })
      .from(S)
      .where(and(isNotNull(S.deadlineAt), lte(S.deadlineAt, p('now'))))
      .orderBy(asc(S.deadlineAt))
      .limit(p('limit'))
      .prepare(),
  };
}

/**
 * Synchronous data access for subscriptions and their billing events, on the SQLite handle. Kept only
 * for the CRM's population generator (src/crm/generator/population.ts), which writes a SQLite file.
 * Everything else reads and writes through the two-engine SubscriptionStore (src/subscriptions/subscription-store.ts).
 */
export class SubscriptionRepo {
  private readonly s: ReturnType<typeof statements>;
  private readonly raw: ReturnType<typeof rawStatements>;
  /** save()'s UPDATE per set of changed indexed columns, prepared on first use. */
  private readonly saves: Array<ReturnType<typeof saveStatement> | undefined> = [];

  constructor(private readonly db: Db) {
    this.s = statements(db);
    this.raw = rawStatements(db);
  }

  /** The subscription of a subscriber to a service, or null. */
  find(subscriberId: number, serviceId: string): SubscriptionHead | null {
    return this.s.find.get({ subscriberId, serviceId }) ?? null;
  }

  /** Creates an empty subscription (state `none`) to hang events on. */
  create(id: string, subscriberId: number, serviceId: string, currency: string, now: number): SubscriptionHead {
    // No RETURNING: the new row's head is what was written, and SQLite's RETURNING costs a materialization.
    this.s.create.run({ id, subscriberId, serviceId, currency, now });
    return { id, subscriberId, serviceId, state: 'none', evaluatedAt: now, nextRenewalAt: null, deadlineAt: null };
  }

  /** Stores an event; returns its id. */
  insertEvent(e: NewBillingEvent): number {
    const r = this.s.insertEvent.run({
      ...e,
      amountMinor: e.amountMinor ?? null,
      currency: e.currency ?? null,
      reason: e.reason ?? null,
      nextRenewalAt: e.nextRenewalAt ?? null,
      autoRenew: e.autoRenew == null ? null : e.autoRenew ? 1 : 0,
      detail: e.detail == null ? null : JSON.stringify(e.detail),
    });
    return Number(r.lastInsertRowid);
  }

  /** What the fold needs of every event of a subscription, in fold order. */
  foldRows(subscriptionId: string): FoldRow[] {
    return this.raw.foldRows.all({ subscriptionId }).map((r) => ({ ...r, autoRenew: r.autoRenew === null ? null : r.autoRenew !== 0 }));
  }

  /** Every event of a subscription in fold order. */
  events(subscriptionId: string): BillingEvent[] {
    return this.s.events.all({ subscriptionId });
  }

  /**
   * Writes the folded state, and every event flag that changed. `target`: the subscription's id, or
   * its head as read in this transaction, whose stored indexed columns let an unchanged index entry be
   * left alone. `carriedFlags`: flagged events the fold did not see (a fold forward sees only the new event).
   */
  save(
    target: string | Pick<SubscriptionHead, 'id' | IndexedChange>,
    f: Folded,
    previousFlags: ReadonlyMap<number, string | null>,
    evaluatedAt: number,
    now: number,
    carriedFlags = 0,
  ): void {
    let flags = carriedFlags;
    for (const [eventId, flag] of f.flags) {
      if (flag) flags++;
      if ((previousFlags.get(eventId) ?? null) !== flag) this.s.setFlag.run({ flag, id: eventId });
    }
    const before = typeof target === 'string' ? null : target;
    let changed = 0;
    INDEXED.forEach((c, bit) => {
      if (!before || f[c] !== before[c]) changed |= 1 << bit;
    });
    const stmt = (this.saves[changed] ??= saveStatement(this.db, changed));
    stmt.run({
      id: before ? before.id : target as string,
      state: f.state,
      stateEnteredAt: f.stateEnteredAt,
      entered: JSON.stringify(f.entered),
      subscribedAt: f.subscribedAt,
      renewals: f.renewals,
      consecutiveFailures: f.consecutiveFailures,
      lastChargedAt: f.lastChargedAt,
      nextRenewalAt: f.nextRenewalAt,
      revenueMinor: f.revenueMinor,
      autoRenew: f.autoRenew ? 1 : 0,
      pendingAction: f.pendingAction,
      flags,
      deadlineAt: f.deadlineAt,
      evaluatedAt,
      lastEventAt: f.lastEventAt,
      now,
    });
  }

  /** Ids of subscriptions whose state changes by time alone at or before `now`. */
  dueDeadlines(now: number, limit: number): string[] {
    return this.s.due.all({ now, limit }).map((r) => r.id);
  }
}
