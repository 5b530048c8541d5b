import { sql } from 'drizzle-orm';
import { BatchWriter } from '../db/batch-writer';
import type { Database, Statement, Tx } from '../db/database';
import { crmRiskRankings, crmSnapshots, crmSubscribers, subscribers, subscriptions } from '../db/schema';
import { name } from '../db/statement';

const p = sql.placeholder;
type Subscription = typeof subscriptions.$inferSelect;
type Activity = typeof crmSubscribers.$inferSelect;
type Subscriber = typeof subscribers.$inferSelect;

/**
 * A subscription that started (live or ended) with its subscriber's activity (null without any), as raw
 * columns: [subscriber id, service id, state, renewals, subscribed at, consecutive failures, last charged
 * at, state entered at, first day, last day, active days, last content at, recent charges (JSON text on
 * SQLite, parsed on PostgreSQL)].
 */
export type SubscriptionRun = [
  Subscription['subscriberId'],
  Subscription['serviceId'],
  Subscription['state'],
  Subscription['renewals'],
  Subscription['subscribedAt'],
  Subscription['consecutiveFailures'],
  Subscription['lastChargedAt'],
  Subscription['stateEnteredAt'],
  Activity['firstDay'],
  Activity['lastDay'],
  Activity['activeDays'] | null,
  Activity['lastContentAt'],
  unknown,
];
/** The states of a live subscription. */
export const LIVE_STATES: ReadonlySet<string> = new Set(['active', 'grace', 'suspended']);
/** A subscriber's profile as stored (JSON text on SQLite, parsed on PostgreSQL) and their profile dimensions: [profile, region, crop, language, operator]. */
export type ProfileRow = [unknown, Subscriber['region'], Subscriber['crop'], Subscriber['language'], Subscriber['operator']];
/** One row of a risk ranking. */
export type RiskRankingRow = Required<typeof crmRiskRankings.$inferInsert>;

const RANKING_COLUMNS = [
  'kind',
  'subscriberId',
  'serviceId',
  'state',
  'pAlive',
  'lastActiveDay',
  'activeDays',
  'renewProbability',
  'renewals',
  'consecutiveFailures',
  'recentFailedCharges',
  'residualPeriods',
  'residualValue',
  'risk',
  'valueAtRisk',
  'computedAt',
] as const satisfies ReadonlyArray<keyof RiskRankingRow>;

/** Rows per page of the two scans of the base (a million subscriptions or subscribers is read page by page). */
const PAGE = 5000;

type SnapshotParams = { kind: string; day: number; data: string; at: number };
/** Where the scan of one state's subscriptions resumes: after this (service, id). */
type RunCursor = { state: string; serviceId: string; id: string };
/** The states of a subscription run that started, in the order the scan reads them (the index's). */
const RUN_STATES = ['active', 'cancelled', 'expired', 'grace', 'suspended'] as const;

/**
 * Stores (or replaces) the snapshot of one kind for one day: the statement both engines share, and the
 * package-fit snapshot's too (src/crm/package-fit-store.ts).
 */
export function snapshotUpsert(database: Database): Statement<never, SnapshotParams> {
  const t = crmSnapshots;
  return database.statement(
    sql`INSERT INTO ${t} (${name(t.kind)}, ${name(t.day)}, ${name(t.data)}, ${name(t.at)}) VALUES (${p('kind')}, ${p('day')}, ${p('data')}, ${p('at')})
        ON CONFLICT (${name(t.kind)}, ${name(t.day)}) DO UPDATE SET ${name(t.data)} = excluded.${name(t.data)}, ${name(t.at)} = excluded.${name(t.at)}`,
  );
}

/**
 * The daily snapshot's reads of the subscriber base and its writes (crm_snapshots, crm_risk_rankings), on
 * either engine. The base is read page by page by key; writes go into the caller's unit of work.
 */
export class SnapshotStore {
  private readonly profiles: Statement<ProfileRow & { 5: number }, { after: number; limit: number }>;
  private readonly runs: Statement<SubscriptionRun & { 13: string }, RunCursor & { limit: number }>;
  private readonly freeUsers: Statement<{ n: number }, { since: number }>;
  private readonly put: Statement<never, SnapshotParams>;
  private readonly clearRankings: Statement<never>;

  constructor(database: Database) {
    const u = subscribers;
    this.profiles = database.statement(
      sql`SELECT ${u.profile}, ${u.region}, ${u.crop}, ${u.language}, ${u.operator}, ${u.id} FROM ${u} WHERE ${u.id} > ${p('after')} ORDER BY ${u.id} LIMIT ${p('limit')}`,
      { raw: true },
    );
    const s = subscriptions;
    const c = crmSubscribers;
    const live = sql`${s.state} IN ('active', 'grace', 'suspended')`;
    // Live and ended runs in one scan, for the risk snapshot and the package-fit life tables both. Paged
    // along the (state, service, id) index one state at a time: an equal state and a (service, id) range
    // is a seek on both engines (a range over the three columns is not, on SQLite, and each page would
    // rescan what came before). The rows come state by state (the rankings break ties by that order).
    this.runs = database.statement(
      sql`SELECT ${s.subscriberId}, ${s.serviceId}, ${s.state}, ${s.renewals}, ${s.subscribedAt}, ${s.consecutiveFailures}, ${s.lastChargedAt}, ${s.stateEnteredAt},
         ${c.firstDay}, ${c.lastDay}, ${c.activeDays}, ${c.lastContentAt}, ${c.chargesRecent}, ${s.id}
       FROM ${s} LEFT JOIN ${c} ON ${c.subscriberId} = ${s.subscriberId}
       WHERE ${s.state} = ${p('state')} AND (${s.serviceId}, ${s.id}) > (${p('serviceId')}, ${p('id')})
       ORDER BY ${s.serviceId}, ${s.id} LIMIT ${p('limit')}`,
      { raw: true },
    );
    this.freeUsers = database.statement(
      sql`SELECT count(*) AS "n" FROM ${c} WHERE ${c.lastContentAt} >= ${p('since')}
         AND NOT EXISTS (SELECT 1 FROM ${s} WHERE ${s.subscriberId} = ${c.subscriberId} AND ${live})`,
    );
    this.put = snapshotUpsert(database);
    this.clearRankings = database.statement(sql`DELETE FROM ${crmRiskRankings}`);
  }

  /** Every subscriber's profile and dimensions, a page at a time (in unit `tx` when given). */
  async *profilePages(tx?: Tx): AsyncGenerator<ProfileRow[]> {
    let after = 0;
    for (;;) {
      const page = await this.profiles.all({ after, limit: PAGE }, tx);
      if (page.length === 0) return;
      yield page;
      if (page.length < PAGE) return;
      after = page[page.length - 1]![5];
    }
  }

  /**
   * The subscriptions live (active, grace, suspended) or ended (cancelled, expired) with their
   * subscribers' activity, a page at a time (in unit `tx` when given).
   */
  async *subscriptionRunPages(tx?: Tx): AsyncGenerator<SubscriptionRun[]> {
    for (const state of RUN_STATES) {
      const at: RunCursor = { state, serviceId: '', id: '' };
      for (;;) {
        const page = await this.runs.all({ ...at, limit: PAGE }, tx);
        if (page.length > 0) yield page;
        if (page.length < PAGE) break;
        const last = page[page.length - 1]!;
        at.serviceId = last[1];
        at.id = last[13];
      }
    }
  }

  /** Subscribers who read content since `since` without a live subscription. */
  async usingWithoutSubscription(since: number, tx?: Tx): Promise<number> {
    return Number((await this.freeUsers.get({ since }, tx))?.n ?? 0);
  }

  /** Stores (or replaces) the snapshot of one kind for one day, in unit `tx`. */
  async saveSnapshot(kind: string, day: number, data: unknown, at: number, tx: Tx): Promise<void> {
    await this.put.run({ kind, day, data: JSON.stringify(data), at }, tx);
  }

  /** Replaces both risk rankings with `rows`, in unit `tx` (100 rows a statement). */
  async replaceRiskRankings(rows: Iterable<RiskRankingRow>, tx: Tx): Promise<void> {
    await this.clearRankings.run(undefined, tx);
    const r = crmRiskRankings;
    const w = new BatchWriter(tx, sql`INSERT INTO ${r} (${sql.join(RANKING_COLUMNS.map((k) => name(r[k])), sql`, `)}) VALUES`, RANKING_COLUMNS.length);
    for (const row of rows) await w.add(RANKING_COLUMNS.map((k) => row[k]), tx);
    await w.flush(tx);
  }
}
