import { sql, type Column, type SQL } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { bool, json } from '../db/portable';
import { billingEvents, subscribers, subscriptions } from '../db/schema';
import { name } from '../db/statement';
import type { Folded } from './lifecycle';
import type { BillingEvent, FoldRow, NewBillingEvent, Subscription, SubscriptionHead, SubscriptionListRow, SubscriptionWithState } from './subscription-repo';

const p = sql.placeholder;
const S = subscriptions;
const E = billingEvents;

/** `col AS "key", ...`: rows carry the schema's property names on both engines (aliases quoted). */
const columns = (cols: Record<string, Column>): SQL => sql.join(Object.entries(cols).map(([k, c]) => sql`${c} AS ${sql.identifier(k)}`), sql`, `);
/** `"column" = placeholder, ...` for an UPDATE's SET (bare names, as both engines want them there). */
const sets = (cols: Record<string, Column>): SQL => sql.join(Object.entries(cols).map(([k, c]) => sql`${name(c)} = ${p(k)}`), sql`, `);

const HEAD = { id: S.id, subscriberId: S.subscriberId, serviceId: S.serviceId, state: S.state, evaluatedAt: S.evaluatedAt, nextRenewalAt: S.nextRenewalAt, deadlineAt: S.deadlineAt };
const STORED = {
  stateEnteredAt: S.stateEnteredAt,
  entered: S.entered,
  subscribedAt: S.subscribedAt,
  renewals: S.renewals,
  consecutiveFailures: S.consecutiveFailures,
  lastChargedAt: S.lastChargedAt,
  revenueMinor: S.revenueMinor,
  autoRenew: S.autoRenew,
  pendingAction: S.pendingAction,
  lastEventAt: S.lastEventAt,
  flags: S.flags,
};
const ALL = { ...HEAD, ...STORED, currency: S.currency, reminderFor: S.reminderFor, createdAt: S.createdAt, updatedAt: S.updatedAt };
const FOLD = { id: E.id, type: E.type, at: E.at, amountMinor: E.amountMinor, nextRenewalAt: E.nextRenewalAt, autoRenew: E.autoRenew, flag: E.flag };
const EVENT = {
  ...FOLD,
  subscriptionId: E.subscriptionId,
  source: E.source,
  externalId: E.externalId,
  receivedAt: E.receivedAt,
  currency: E.currency,
  reason: E.reason,
  detail: E.detail,
};
/** The unindexed columns every save writes: what a subscription stores, when it was evaluated, and when. */
const SAVED = { ...STORED, evaluatedAt: S.evaluatedAt, now: S.updatedAt };
/** The indexed columns a save writes only when their value changes (see save()). */
type IndexedChange = 'state' | 'nextRenewalAt' | 'deadlineAt';
const INDEXED: ReadonlyArray<[IndexedChange, Column]> = [
  ['state', S.state],
  ['nextRenewalAt', S.nextRenewalAt],
  ['deadlineAt', S.deadlineAt],
];

/** A boolean bound for a write: 0/1 is what SQLite stores, and PostgreSQL's boolean input reads '1'/'0' too. */
const bit = (v: boolean | null | undefined): number | null => (v == null ? null : v ? 1 : 0);

type RawSubscription = Omit<Subscription, 'entered' | 'autoRenew'> & { entered: unknown; autoRenew: unknown };
type RawStored = Omit<SubscriptionWithState, 'entered' | 'autoRenew'> & { entered: unknown; autoRenew: unknown };
type RawFold = Omit<FoldRow, 'autoRenew'> & { autoRenew: unknown };
type RawEvent = Omit<BillingEvent, 'autoRenew' | 'detail'> & { autoRenew: unknown; detail: unknown };

const toSubscription = <R extends { entered: unknown; autoRenew: unknown }>(r: R): Omit<R, 'entered' | 'autoRenew'> & Pick<Subscription, 'entered' | 'autoRenew'> => ({
  ...r,
  entered: json<Subscription['entered']>(r.entered),
  autoRenew: bool(r.autoRenew),
});
const toFold = (r: RawFold): FoldRow => ({ ...r, autoRenew: r.autoRenew === null ? null : bool(r.autoRenew) });
const toEvent = (r: RawEvent): BillingEvent => ({ ...r, autoRenew: r.autoRenew === null ? null : bool(r.autoRenew), detail: json<BillingEvent['detail']>(r.detail) });

/** Values of a save's UPDATE. */
type SaveParams = Record<keyof typeof SAVED | IndexedChange | 'id', unknown>;

/**
 * Subscriptions and their billing events on both engines (src/db/database.ts). Ingest is the hot path
 * (one notification = a dedupe lookup, one read of the subscription with its stored state, an insert, a
 * read of every event only when it arrives out of order, and an update), so every statement it runs is
 * prepared once and reads only the columns it uses. On PostgreSQL, where two processes may write one
 * subscription at once, the reads that decide a fold lock its row (`FOR UPDATE`) and the event insert
 * decides duplicates itself (`ON CONFLICT DO NOTHING`); on SQLite units already take turns.
 */
export class SubscriptionStore {
  private readonly saves: Array<Statement<never, SaveParams> | undefined> = [];
  private readonly findStored;
  private readonly headById;
  private readonly byId;
  private readonly bySubscriberSt;
  private readonly createSt;
  private readonly eventByExternalSt;
  private readonly insertEventSt;
  private readonly foldRowsSt;
  private readonly eventsSt;
  private readonly lastFromSource;
  private readonly countFromSourceSt;
  private readonly setFlag;
  private readonly due;
  private readonly reminderCandidatesSt;
  private readonly markReminderSt;
  private readonly clearDeadlineSt;
  private readonly countByStateSt;

  constructor(private readonly database: Database) {
    // Another process's unit waits here until this one commits, then folds onto what it wrote.
    const lock = database.dialect === 'postgresql' ? sql` FOR UPDATE` : sql``;
    this.findStored = database.statement<RawStored, { subscriberId: number; serviceId: string }>(
      sql`SELECT ${columns({ ...HEAD, ...STORED })} FROM ${S} WHERE ${S.subscriberId} = ${p('subscriberId')} AND ${S.serviceId} = ${p('serviceId')}${lock}`,
    );
    this.headById = database.statement<SubscriptionHead, { id: string }>(sql`SELECT ${columns(HEAD)} FROM ${S} WHERE ${S.id} = ${p('id')}${lock}`);
    this.byId = database.statement<RawSubscription, { id: string }>(sql`SELECT ${columns(ALL)} FROM ${S} WHERE ${S.id} = ${p('id')}`);
    this.bySubscriberSt = database.statement<RawSubscription, { subscriberId: number }>(
      sql`SELECT ${columns(ALL)} FROM ${S} WHERE ${S.subscriberId} = ${p('subscriberId')} AND ${S.state} <> 'none' ORDER BY ${S.createdAt}, ${S.id}`,
    );
    this.createSt = database.statement<never, { id: string; subscriberId: number; serviceId: string; currency: string; now: number }>(
      sql`INSERT INTO ${S} (${name(S.id)}, ${name(S.subscriberId)}, ${name(S.serviceId)}, ${name(S.state)}, ${name(S.currency)}, ${name(S.evaluatedAt)}, ${name(S.createdAt)}, ${name(S.updatedAt)})
          VALUES (${p('id')}, ${p('subscriberId')}, ${p('serviceId')}, 'none', ${p('currency')}, ${p('now')}, ${p('now')}, ${p('now')})
          ON CONFLICT (${name(S.subscriberId)}, ${name(S.serviceId)}) DO NOTHING`,
    );
    this.eventByExternalSt = database.statement<{ id: number; subscriptionId: string }, { externalId: string }>(
      sql`SELECT ${columns({ id: E.id, subscriptionId: E.subscriptionId })} FROM ${E} WHERE ${E.externalId} = ${p('externalId')}`,
    );
    const inserted = { subscriptionId: E.subscriptionId, source: E.source, externalId: E.externalId, type: E.type, at: E.at, receivedAt: E.receivedAt, amountMinor: E.amountMinor, currency: E.currency, reason: E.reason, nextRenewalAt: E.nextRenewalAt, autoRenew: E.autoRenew, detail: E.detail };
    this.insertEventSt = database.statement<{ id: number }, Record<keyof typeof inserted, unknown>>(
      sql`INSERT INTO ${E} (${sql.join(Object.values(inserted).map(name), sql`, `)})
          VALUES (${sql.join(Object.keys(inserted).map((k) => p(k)), sql`, `)})
          ON CONFLICT (${name(E.externalId)}) DO NOTHING RETURNING ${E.id} AS "id"`,
    );
    const inFoldOrder = sql`ORDER BY ${E.at}, ${E.id}`;
    this.foldRowsSt = database.statement<RawFold, { subscriptionId: string }>(sql`SELECT ${columns(FOLD)} FROM ${E} WHERE ${E.subscriptionId} = ${p('subscriptionId')} ${inFoldOrder}`);
    this.eventsSt = database.statement<RawEvent, { subscriptionId: string }>(sql`SELECT ${columns(EVENT)} FROM ${E} WHERE ${E.subscriptionId} = ${p('subscriptionId')} ${inFoldOrder}`);
    this.lastFromSource = database.statement<{ type: BillingEvent['type'] }, { subscriptionId: string; source: string }>(
      sql`SELECT ${E.type} AS "type" FROM ${E} WHERE ${E.subscriptionId} = ${p('subscriptionId')} AND ${E.source} = ${p('source')} ORDER BY ${E.id} DESC LIMIT 1`,
    );
    this.countFromSourceSt = database.statement<{ n: number }, { subscriptionId: string; source: string }>(
      sql`SELECT count(*) AS "n" FROM ${E} WHERE ${E.subscriptionId} = ${p('subscriptionId')} AND ${E.source} = ${p('source')}`,
    );
    this.setFlag = database.statement<never, { id: number; flag: string | null }>(sql`UPDATE ${E} SET ${name(E.flag)} = ${p('flag')} WHERE ${E.id} = ${p('id')}`);
    this.due = database.statement<{ id: string }, { now: number; limit: number }>(
      sql`SELECT ${S.id} AS "id" FROM ${S} WHERE ${S.deadlineAt} IS NOT NULL AND ${S.deadlineAt} <= ${p('now')} ORDER BY ${S.deadlineAt}, ${S.id} LIMIT ${p('limit')}`,
    );
    this.reminderCandidatesSt = database.statement<RawSubscription, { serviceId: string; after: number; until: number; limit: number }>(
      sql`SELECT ${columns(ALL)} FROM ${S}
          WHERE ${S.state} = 'active' AND ${S.serviceId} = ${p('serviceId')} AND ${S.autoRenew} = true
            AND ${S.nextRenewalAt} > ${p('after')} AND ${S.nextRenewalAt} <= ${p('until')}
            AND (${S.reminderFor} IS NULL OR ${S.reminderFor} <> ${S.nextRenewalAt})
          ORDER BY ${S.nextRenewalAt}, ${S.id} LIMIT ${p('limit')}`,
    );
    // Only a reminder not yet marked for this renewal is marked: a second process's pass changes nothing.
    this.markReminderSt = database.statement<never, { id: string; nextRenewalAt: number }>(
      sql`UPDATE ${S} SET ${name(S.reminderFor)} = ${p('nextRenewalAt')} WHERE ${S.id} = ${p('id')} AND (${S.reminderFor} IS NULL OR ${S.reminderFor} <> ${p('nextRenewalAt')})`,
    );
    this.clearDeadlineSt = database.statement<never, { id: string }>(sql`UPDATE ${S} SET ${name(S.deadlineAt)} = NULL WHERE ${S.id} = ${p('id')}`);
    this.countByStateSt = database.statement<{ state: Subscription['state']; n: number }>(
      sql`SELECT ${S.state} AS "state", count(*) AS "n" FROM ${S} WHERE ${S.state} <> 'none' GROUP BY ${S.state} ORDER BY ${S.state}`,
    );
  }

  /** The subscription of a subscriber to a service with its stored fold state, or null (PostgreSQL: locked for the unit). */
  async findWithState(subscriberId: number, serviceId: string, tx: Tx): Promise<SubscriptionWithState | null> {
    const r = await this.findStored.get({ subscriberId, serviceId }, tx);
    return r ? toSubscription(r) : null;
  }

  /** The identifying part of a subscription by id, or null (PostgreSQL: locked for the unit). */
  async head(id: string, tx: Tx): Promise<SubscriptionHead | null> {
    return (await this.headById.get({ id }, tx)) ?? null;
  }

  /** The subscription by id, or null. */
  async findById(id: string, tx?: Tx): Promise<Subscription | null> {
    const r = await this.byId.get({ id }, tx);
    return r ? toSubscription(r) : null;
  }

  /** A subscriber's subscriptions (rows that only hold requests for services never had are left out). */
  async bySubscriber(subscriberId: number): Promise<Subscription[]> {
    return (await this.bySubscriberSt.all({ subscriberId })).map(toSubscription);
  }

  /**
   * Creates an empty subscription (state `none`) to hang events on; false when one already exists
   * (another process made it first: read it again).
   */
  async create(id: string, subscriberId: number, serviceId: string, currency: string, now: number, tx: Tx): Promise<boolean> {
    return (await this.createSt.run({ id, subscriberId, serviceId, currency, now }, tx)) === 1;
  }

  /** The event already stored under this idempotency key, if any. */
  async eventByExternal(externalId: string, tx?: Tx): Promise<{ id: number; subscriptionId: string } | null> {
    return (await this.eventByExternalSt.get({ externalId }, tx)) ?? null;
  }

  /** Stores an event; its id, or null when an event with its idempotency key is already stored. */
  async insertEvent(e: NewBillingEvent, tx: Tx): Promise<number | null> {
    const r = await this.insertEventSt.get(
      {
        subscriptionId: e.subscriptionId,
        source: e.source,
        externalId: e.externalId,
        type: e.type,
        at: e.at,
        receivedAt: e.receivedAt,
        amountMinor: e.amountMinor ?? null,
        currency: e.currency ?? null,
        reason: e.reason ?? null,
        nextRenewalAt: e.nextRenewalAt ?? null,
        autoRenew: bit(e.autoRenew),
        detail: e.detail == null ? null : JSON.stringify(e.detail),
      },
      tx,
    );
    return r ? r.id : null;
  }

  /** What the fold needs of every event of a subscription, in fold order. */
  async foldRows(subscriptionId: string, tx?: Tx): Promise<FoldRow[]> {
    return (await this.foldRowsSt.all({ subscriptionId }, tx)).map(toFold);
  }

  /** Every event of a subscription in fold order. */
  async events(subscriptionId: string, tx?: Tx): Promise<BillingEvent[]> {
    return (await this.eventsSt.all({ subscriptionId }, tx)).map(toEvent);
  }

  /** Type of the latest event received from `source` for this subscription. */
  async lastTypeFromSource(subscriptionId: string, source: BillingEvent['source'], tx: Tx): Promise<BillingEvent['type'] | null> {
    return (await this.lastFromSource.get({ subscriptionId, source }, tx))?.type ?? null;
  }

  /** How many events `source` sent for this subscription. */
  async countFromSource(subscriptionId: string, source: BillingEvent['source'], tx: Tx): Promise<number> {
    return (await this.countFromSourceSt.get({ subscriptionId, source }, tx))?.n ?? 0;
  }

  /**
   * Writes the folded state, and every event flag that changed. `target`: the subscription's head as
   * read in this unit, whose stored indexed columns let an unchanged index entry be left alone (SQLite
   * rewrites an index entry whenever its column is SET, even to the same value, and each rewrite dirties
   * a page the group commit must write). `carriedFlags`: flagged events the fold did not see (a fold
   * forward sees only the new event).
   */
  async save(
    target: Pick<SubscriptionHead, 'id' | IndexedChange>,
    f: Folded,
    previousFlags: ReadonlyMap<number, string | null>,
    evaluatedAt: number,
    now: number,
    tx: Tx,
    carriedFlags = 0,
  ): Promise<void> {
    let flags = carriedFlags;
    for (const [eventId, flag] of f.flags) {
      if (flag) flags++;
      if ((previousFlags.get(eventId) ?? null) !== flag) await this.setFlag.run({ flag, id: eventId }, tx);
    }
    let changed = 0;
    INDEXED.forEach(([c], i) => {
      if (f[c] !== target[c]) changed |= 1 << i;
    });
    const stmt = (this.saves[changed] ??= this.saveStatement(changed));
    await stmt.run(
      {
        id: target.id,
        state: f.state,
        stateEnteredAt: f.stateEnteredAt,
        entered: JSON.stringify(f.entered),
        subscribedAt: f.subscribedAt,
        renewals: f.renewals,
        consecutiveFailures: f.consecutiveFailures,
        lastChargedAt: f.lastChargedAt,
        nextRenewalAt: f.nextRenewalAt,
        revenueMinor: f.revenueMinor,
        autoRenew: bit(f.autoRenew),
        pendingAction: f.pendingAction,
        flags,
        deadlineAt: f.deadlineAt,
        evaluatedAt,
        lastEventAt: f.lastEventAt,
        now,
      },
      tx,
    );
  }

  private saveStatement(changed: number): Statement<never, SaveParams> {
    const indexed = Object.fromEntries(INDEXED.filter((_, i) => changed & (1 << i)));
    return this.database.statement<never, SaveParams>(sql`UPDATE ${S} SET ${sets({ ...SAVED, ...indexed })} WHERE ${S.id} = ${p('id')}`);
  }

  /** Ids of subscriptions whose state changes by time alone at or before `now`. */
  async dueDeadlines(now: number, limit: number): Promise<string[]> {
    return (await this.due.all({ now, limit })).map((r) => r.id);
  }

  /** Active, auto-renewing subscriptions of a service renewing in (after, until] without a reminder for that renewal. */
  async reminderCandidates(serviceId: string, after: number, until: number, limit: number): Promise<Subscription[]> {
    return (await this.reminderCandidatesSt.all({ serviceId, after, until, limit })).map(toSubscription);
  }

  /**
   * Remembers that the reminder for this renewal went out (or was decided against); false when it was
   * already marked (another pass got there first: send nothing).
   */
  async markReminder(id: string, nextRenewalAt: number, tx: Tx): Promise<boolean> {
    return (await this.markReminderSt.run({ id, nextRenewalAt }, tx)) === 1;
  }

  /** Stops time-based evaluation of a subscription (its service is no longer configured). */
  async clearDeadline(id: string, tx: Tx): Promise<void> {
    await this.clearDeadlineSt.run({ id }, tx);
  }

  /** How many subscriptions are in each state (for /metrics). */
  async countByState(): Promise<{ state: Subscription['state']; n: number }[]> {
    return this.countByStateSt.all();
  }

  /** A page of subscriptions (with the subscriber's number), by id, after the cursor. */
  async list(opts: { state?: Subscription['state'] | undefined; serviceId?: string | undefined; after?: string | undefined; limit: number }): Promise<SubscriptionListRow[]> {
    const where = [sql`${S.state} <> 'none'`];
    if (opts.state) where.push(sql`${S.state} = ${opts.state}`);
    if (opts.serviceId) where.push(sql`${S.serviceId} = ${opts.serviceId}`);
    if (opts.after) where.push(sql`${S.id} > ${opts.after}`);
    // The filters change the statement's shape: run once, not prepared.
    const rows = await this.database.all<RawSubscription & { msisdn: string }>(
      sql`SELECT ${columns(ALL)}, ${subscribers.msisdn} AS "msisdn" FROM ${S} INNER JOIN ${subscribers} ON ${subscribers.id} = ${S.subscriberId}
          WHERE ${sql.join(where, sql` AND `)} ORDER BY ${S.id} LIMIT ${opts.limit}`,
    );
    return rows.map(toSubscription);
  }
}
