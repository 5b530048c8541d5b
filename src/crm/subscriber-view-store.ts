import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { calls, crmFindings, crmInterventions, crmSubscribers, messages, subscriptions } from '../db/schema';
import { prepare, type Prepared } from '../db/statement';
import { callState } from '../reports/stores/delivery-store';
import { fields, type Stored } from '../reports/stores/rollup-store';

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

type BySubscriber = { subscriberId: number };
const p = sql.placeholder('subscriberId');

/** The CRM block of one subscriber's view: activity, flags, live subscriptions, last interventions. */
export class SubscriberViewStore {
  private readonly activityStmt: Prepared<Activity, BySubscriber>;
  private readonly flagsStmt: Prepared<Stored<Flag, 'detail'>, BySubscriber>;
  private readonly subsStmt: Prepared<LiveSubscription, BySubscriber>;
  private readonly interventionsStmt: Prepared<RecentIntervention, BySubscriber>;

  constructor(db: Db) {
    const c = crmSubscribers;
    this.activityStmt = prepare(
      db,
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
    this.flagsStmt = prepare(
      db,
      sql`SELECT ${fields({ kind: f.kind, reason: f.reason, status: f.status, serviceId: f.serviceId, detail: f.detail, detectedAt: f.detectedAt })}
          FROM ${f} WHERE ${f.subscriberId} = ${p} AND ${f.closedAt} IS NULL ORDER BY ${f.detectedAt}`,
    );
    const s = subscriptions;
    this.subsStmt = prepare(
      db,
      sql`SELECT ${fields({ serviceId: s.serviceId, state: s.state, renewals: s.renewals, subscribedAt: s.subscribedAt, consecutiveFailures: s.consecutiveFailures })}
          FROM ${s} WHERE ${s.subscriberId} = ${p} AND ${s.state} IN ('active', 'grace', 'suspended')`,
    );
    const i = crmInterventions;
    this.interventionsStmt = prepare(
      db,
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
      WHERE ${i.subscriberId} = ${p} ORDER BY ${i.at} DESC LIMIT 5`,
    );
  }

  /** The store of `db` (one per connection, so its statements are prepared once). */
  static of(db: Db): SubscriberViewStore {
    let s = stores.get(db);
    if (!s) stores.set(db, (s = new SubscriberViewStore(db)));
    return s;
  }

  /** The subscriber's activity, or undefined before the pass saw any. */
  activity(subscriberId: number): Activity | undefined {
    return this.activityStmt.get({ subscriberId });
  }

  /** Open findings, oldest first. */
  flags(subscriberId: number): Flag[] {
    return this.flagsStmt.all({ subscriberId }).map((f) => ({ ...f, detail: JSON.parse(f.detail) as Record<string, unknown> }));
  }

  /** Subscriptions that are active, in grace or suspended. */
  liveSubscriptions(subscriberId: number): LiveSubscription[] {
    return this.subsStmt.all({ subscriberId });
  }

  /** The five newest interventions. */
  recentInterventions(subscriberId: number): RecentIntervention[] {
    return this.interventionsStmt.all({ subscriberId });
  }
}

const stores = new WeakMap<Db, SubscriberViewStore>();
