import { sql } from 'drizzle-orm';
import type { Database, Statement } from '../db/database';
import { json } from '../db/portable';
import { calls, crmFindings, crmInterventions, crmSubscribers, crmTiers, messages, subscriptions } from '../db/schema';
import { callState } from '../reports/stores/delivery-store';
import { fields } from '../reports/stores/rollup-store';

/** What the pass knows about one subscriber's use of the service. */
export type Activity = Pick<
  typeof crmSubscribers.$inferSelect,
  'firstDay' | 'lastDay' | 'activeDays' | 'sessions' | 'contentSessions' | 'cleanSessions' | 'stuckSessions' | 'firstContent' | 'lastSessionAt' | 'lastContentAt'
>;

/** An open finding (a flag), its detail decoded. */
export type Flag = Pick<typeof crmFindings.$inferSelect, 'kind' | 'reason' | 'status' | 'serviceId' | 'detail' | 'detectedAt'>;

/** A live subscription as the scores read it. */
export type LiveSubscription = Pick<typeof subscriptions.$inferSelect, 'serviceId' | 'state' | 'renewals' | 'subscribedAt' | 'consecutiveFailures'>;

/** An intervention with its delivery state, read from the message or call it points at. */
export type RecentIntervention = Pick<
  typeof crmInterventions.$inferSelect,
  'kind' | 'findingKind' | 'arm' | 'channel' | 'status' | 'reason' | 'at' | 'reachedContentAt' | 'returnedAt' | 'renewedAt'
> & { delivery: string | null };

/** The value tier as the last scoring left it. */
export type SubscriberTier = Pick<typeof crmTiers.$inferSelect, 'tier' | 'rank' | 'score' | 'residualValue' | 'tenureDays' | 'since' | 'computedAt'>;

type BySubscriber = { subscriberId: number };
const p = sql.placeholder('subscriberId');

/** The CRM block of one subscriber's view: activity, flags, live subscriptions, last interventions, value tier. */
export class SubscriberViewStore {
  private readonly activityStmt: Statement<Activity, BySubscriber>;
  private readonly flagsStmt: Statement<Omit<Flag, 'detail'> & { detail: unknown }, BySubscriber>;
  private readonly subsStmt: Statement<LiveSubscription, BySubscriber>;
  private readonly interventionsStmt: Statement<RecentIntervention, BySubscriber>;
  private readonly tierStmt: Statement<SubscriberTier, BySubscriber>;

  constructor(db: Database) {
    const c = crmSubscribers;
    this.activityStmt = db.statement(
      sql`SELECT ${fields({
        firstDay: c.firstDay,
        lastDay: c.lastDay,
        activeDays: c.activeDays,
        sessions: c.sessions,
        contentSessions: c.contentSessions,
        cleanSessions: c.cleanSessions,
        stuckSessions: c.stuckSessions,
        firstContent: c.firstContent,
        lastSessionAt: c.lastSessionAt,
        lastContentAt: c.lastContentAt,
      })} FROM ${c} WHERE ${c.subscriberId} = ${p}`,
    );
    const f = crmFindings;
    this.flagsStmt = db.statement(
      sql`SELECT ${fields({ kind: f.kind, reason: f.reason, status: f.status, serviceId: f.serviceId, detail: f.detail, detectedAt: f.detectedAt })}
          FROM ${f} WHERE ${f.subscriberId} = ${p} AND ${f.closedAt} IS NULL ORDER BY ${f.detectedAt}, ${f.kind}`,
    );
    const s = subscriptions;
    this.subsStmt = db.statement(
      sql`SELECT ${fields({ serviceId: s.serviceId, state: s.state, renewals: s.renewals, subscribedAt: s.subscribedAt, consecutiveFailures: s.consecutiveFailures })}
          FROM ${s} WHERE ${s.subscriberId} = ${p} AND ${s.state} IN ('active', 'grace', 'suspended') ORDER BY ${s.serviceId}`,
    );
    const i = crmInterventions;
    this.interventionsStmt = db.statement(
      sql`SELECT ${fields({
        kind: i.kind,
        findingKind: i.findingKind,
        arm: i.arm,
        channel: i.channel,
        status: i.status,
        reason: i.reason,
        at: i.at,
        reachedContentAt: i.reachedContentAt,
        returnedAt: i.returnedAt,
        renewedAt: i.renewedAt,
        delivery: sql`CASE WHEN ${i.arm} = 'holdout' THEN NULL WHEN ${i.channel} = 'sms' THEN coalesce(${messages.status}, ${i.status})
                   WHEN ${i.channel} = 'call' AND ${calls.id} IS NOT NULL THEN ${callState()} ELSE ${i.status} END`,
      })}
      FROM ${i} LEFT JOIN ${messages} ON ${i.channel} = 'sms' AND ${messages.id} = ${i.messageId} LEFT JOIN ${calls} ON ${i.channel} = 'call' AND ${calls.id} = ${i.callId}
      WHERE ${i.subscriberId} = ${p} ORDER BY ${i.at} DESC, ${i.id} DESC LIMIT 5`,
    );
    const t = crmTiers;
    this.tierStmt = db.statement(
      sql`SELECT ${fields({ tier: t.tier, rank: t.rank, score: t.score, residualValue: t.residualValue, tenureDays: t.tenureDays, since: t.since, computedAt: t.computedAt })} FROM ${t} WHERE ${t.subscriberId} = ${p}`,
    );
  }

  /** The store of `db` (one per database, so its statements are prepared once). */
  static of(db: Database): SubscriberViewStore {
    let s = stores.get(db);
    if (!s) stores.set(db, (s = new SubscriberViewStore(db)));
    return s;
  }

  /** The subscriber's activity, or undefined before the pass saw any. */
  async activity(subscriberId: number): Promise<Activity | undefined> {
    return this.activityStmt.get({ subscriberId });
  }

  /** Open findings, oldest first (one pass finds several at once: then by kind, which is unique among open ones). */
  async flags(subscriberId: number): Promise<Flag[]> {
    return (await this.flagsStmt.all({ subscriberId })).map((f) => ({ ...f, detail: json<Record<string, unknown>>(f.detail) }));
  }

  /** Subscriptions that are active, in grace or suspended, by service. */
  async liveSubscriptions(subscriberId: number): Promise<LiveSubscription[]> {
    return this.subsStmt.all({ subscriberId });
  }

  /** The five newest interventions. */
  async recentInterventions(subscriberId: number): Promise<RecentIntervention[]> {
    return this.interventionsStmt.all({ subscriberId });
  }

  /** The subscriber's value tier, or undefined (no live subscription, or not scored yet). */
  async tier(subscriberId: number): Promise<SubscriberTier | undefined> {
    return this.tierStmt.get({ subscriberId });
  }
}

const stores = new WeakMap<Database, SubscriberViewStore>();
