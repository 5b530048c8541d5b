import type { Database } from '../db/database';
import { iso } from '../lib/clock';
import { SubscriberViewStore } from './subscriber-view-store';
import type { Days } from './days';
import type { Scoring } from './scoring';

const r3 = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.round(v * 1000) / 1000);

/**
 * What the CRM knows about one subscriber, for GET /api/v1/subscribers/:msisdn: open flags, activity,
 * scores per live subscription and the last interventions with their outcomes.
 */
export async function subscriberCrmView(database: Database, scoring: Scoring, days: Days, subscriberId: number, now: number): Promise<Record<string, unknown>> {
  const store = SubscriberViewStore.of(database);
  const [a, openFlags, subs, recent, t] = await Promise.all([
    store.activity(subscriberId),
    store.flags(subscriberId),
    store.liveSubscriptions(subscriberId),
    store.recentInterventions(subscriberId),
    store.tier(subscriberId),
  ]);
  const flags = openFlags.map((f) => ({ kind: f.kind, reason: f.reason, status: f.status, serviceId: f.serviceId, detectedAt: iso(f.detectedAt), detail: f.detail as unknown }));
  const today = days.of(now);
  const usage = a ? scoring.usageScores(a.firstDay, a.lastDay, a.activeDays, today) : null;
  const subscriptions = subs.map((s) => {
    const sc = scoring.score({ serviceId: s.serviceId, state: s.state, renewals: s.renewals, subscribedAt: s.subscribedAt, consecutiveFailures: s.consecutiveFailures }, usage?.pAlive ?? null, now);
    return {
      serviceId: s.serviceId,
      state: s.state,
      ...(sc
        ? {
            renewProbability: r3(sc.renewProbability),
            residualPeriods: r3(sc.residualPeriods),
            residualValue: r3(sc.residualValue),
            lapse: { risk: r3(sc.lapse.risk), valueAtRisk: r3(sc.lapse.valueAtRisk) },
            disengagement: { risk: r3(sc.disengagement.risk), valueAtRisk: r3(sc.disengagement.valueAtRisk) },
            // The larger of the two named risks, for readers of the single figure.
            risk: r3(sc.risk),
            valueAtRisk: r3(sc.valueAtRisk),
            riskKind: sc.riskKind,
          }
        : {}),
    };
  });
  const interventions = recent.map((i) => ({
    kind: i.kind,
    finding: i.findingKind,
    arm: i.arm,
    channel: i.channel,
    status: i.status,
    ...(i.reason ? { reason: i.reason } : {}),
    delivery: i.delivery,
    at: iso(i.at),
    outcome: { returnedAt: iso(i.returnedAt), reachedContentAt: iso(i.reachedContentAt), renewedAt: iso(i.renewedAt) },
  }));
  // The value tier as of the last scoring (null: no live subscription, or not scored yet).
  const tier = t
    ? { tier: t.tier, rank: t.rank, score: r3(t.score), residualValue: r3(t.residualValue), tenureDays: t.tenureDays, since: iso(t.since), computedAt: iso(t.computedAt) }
    : null;
  return {
    tier,
    flags,
    activity: a
      ? {
          firstActiveDay: a.firstDay === null ? null : days.iso(a.firstDay),
          lastActiveDay: a.lastDay === null ? null : days.iso(a.lastDay),
          activeDays: a.activeDays,
          sessions: a.sessions,
          contentSessions: a.contentSessions,
          firstAttemptSessions: a.cleanSessions,
          stuckSessions: a.stuckSessions,
          firstSessionFoundContent: a.firstContent === null ? null : a.firstContent === 1,
          lastSessionAt: iso(a.lastSessionAt),
          lastContentAt: iso(a.lastContentAt),
        }
      : null,
    scores: usage ? { pAlive: r3(usage.pAlive), expectedActiveDays30: r3(usage.expectedActiveDays30), residualLifetimeDays: r3(usage.residualLifetimeDays), cohort: usage.cohort, usedPooledFit: usage.usedPooled } : null,
    subscriptions,
    interventions,
  };
}
