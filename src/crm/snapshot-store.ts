import { sql } from 'drizzle-orm';
import { BatchInsert } from '../db/batch-insert';
import type { Db } from '../db/client';
import { crmRiskRankings, crmSnapshots, crmSubscribers, subscribers, subscriptions } from '../db/schema';
import { name, prepare, type Prepared } from '../db/statement';

const p = sql.placeholder;
type Subscription = typeof subscriptions.$inferSelect;
type Activity = typeof crmSubscribers.$inferSelect;
type Subscriber = typeof subscribers.$inferSelect;

/**
 * A subscription that started (live or ended) with its subscriber's activity (null without any), as raw
 * columns: [subscriber id, service id, state, renewals, subscribed at, consecutive failures, last charged
 * at, state entered at, first day, last day, active days, last content at, recent charges as JSON text].
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
  string | null,
];
/** The states of a live subscription. */
export const LIVE_STATES: ReadonlySet<string> = new Set(['active', 'grace', 'suspended']);
/** A subscriber's profile as stored (JSON text) and their profile dimensions: [profile, region, crop, language, operator]. */
export type ProfileRow = [string | null, Subscriber['region'], Subscriber['crop'], Subscriber['language'], Subscriber['operator']];
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

/** The daily snapshot's reads of the subscriber base and its writes (crm_snapshots, crm_risk_rankings). */
export class SnapshotStore {
  private readonly profiles: Prepared<ProfileRow>;
  private readonly runs: Prepared<SubscriptionRun>;
  private readonly freeUsers: Prepared<{ n: number }, { since: number }>;
  private readonly put: Prepared<never, { kind: string; day: number; data: string; at: number }>;
  private readonly clearRankings: Prepared<never>;
  private readonly addRankings: BatchInsert;

  constructor(db: Db) {
    const u = subscribers;
    this.profiles = prepare(db, sql`SELECT ${u.profile}, ${u.region}, ${u.crop}, ${u.language}, ${u.operator} FROM ${u}`);
    this.profiles.statement.raw();
    const s = subscriptions;
    const c = crmSubscribers;
    const live = sql`${s.state} IN ('active', 'grace', 'suspended')`;
    // Live and ended runs in one scan, for the risk snapshot and the package-fit life tables both. The
    // (state, next renewal) index gives the rows state by state, so the live ones come in the order a scan
    // of the live states alone gave (the rankings break ties by it).
    this.runs = prepare(
      db,
      sql`SELECT ${s.subscriberId}, ${s.serviceId}, ${s.state}, ${s.renewals}, ${s.subscribedAt}, ${s.consecutiveFailures}, ${s.lastChargedAt}, ${s.stateEnteredAt},
         ${c.firstDay}, ${c.lastDay}, ${c.activeDays}, ${c.lastContentAt}, ${c.chargesRecent}
       FROM ${s} LEFT JOIN ${c} ON ${c.subscriberId} = ${s.subscriberId}
       WHERE ${s.state} IN ('active', 'grace', 'suspended', 'cancelled', 'expired')`,
    );
    this.runs.statement.raw();
    this.freeUsers = prepare(
      db,
      sql`SELECT count(*) AS n FROM ${c} WHERE ${c.lastContentAt} >= ${p('since')}
         AND NOT EXISTS (SELECT 1 FROM ${s} WHERE ${s.subscriberId} = ${c.subscriberId} AND ${live})`,
    );
    const t = crmSnapshots;
    this.put = prepare(
      db,
      sql`INSERT OR REPLACE INTO ${t} (${name(t.kind)}, ${name(t.day)}, ${name(t.data)}, ${name(t.at)}) VALUES (${p('kind')}, ${p('day')}, ${p('data')}, ${p('at')})`,
    );
    const r = crmRiskRankings;
    this.clearRankings = prepare(db, sql`DELETE FROM ${r}`);
    this.addRankings = new BatchInsert(
      db,
      sql`INSERT OR REPLACE INTO ${r} (${sql.join(
        RANKING_COLUMNS.map((k) => name(r[k])),
        sql`, `,
      )}) VALUES`,
      RANKING_COLUMNS.length,
    );
  }

  /** Every subscriber's profile JSON and dimensions, one at a time. */
  allProfiles(): IterableIterator<ProfileRow> {
    return this.profiles.iterate();
  }

  /** The subscriptions live (active, grace, suspended) or ended (cancelled, expired) with their subscribers' activity, one at a time. */
  subscriptionRuns(): IterableIterator<SubscriptionRun> {
    return this.runs.iterate();
  }

  /** Subscribers who read content since `since` without a live subscription. */
  usingWithoutSubscription(since: number): number {
    return this.freeUsers.get({ since })!.n;
  }

  /** Stores (or replaces) the snapshot of one kind for one day. */
  saveSnapshot(kind: string, day: number, data: unknown, at: number): void {
    this.put.run({ kind, day, data: JSON.stringify(data), at });
  }

  /** Replaces both risk rankings with `rows`. */
  replaceRiskRankings(rows: Iterable<RiskRankingRow>): void {
    this.clearRankings.run();
    for (const row of rows) this.addRankings.add(RANKING_COLUMNS.map((k) => row[k]));
    this.addRankings.flush();
  }
}
