import type { Db } from '../db/client';
import { iso } from '../lib/clock';
import { callStateSql } from '../reports/delivery';
import type { Days } from './days';
import type { Scoring } from './scoring';

const r3 = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.round(v * 1000) / 1000);

/**
 * What the CRM knows about one subscriber, for GET /api/v1/subscribers/:msisdn: open flags, activity,
 * scores per live subscription and the last interventions with their outcomes.
 */
export function subscriberCrmView(db: Db, scoring: Scoring, days: Days, subscriberId: number, now: number): Record<string, unknown> {
  const c = db.$client;
  const a = c.prepare('SELECT * FROM crm_subscribers WHERE subscriber_id = ?').get(subscriberId) as
    | { first_day: number | null; last_day: number | null; active_days: number; sessions: number; content_sessions: number; clean_sessions: number; stuck_sessions: number; first_content: number | null; last_session_at: number | null; last_content_at: number | null }
    | undefined;
  const flags = (
    c.prepare('SELECT kind, reason, status, service_id, detail, detected_at FROM crm_findings WHERE subscriber_id = ? AND closed_at IS NULL ORDER BY detected_at').all(subscriberId) as {
      kind: string;
      reason: string;
      status: string;
      service_id: string | null;
      detail: string;
      detected_at: number;
    }[]
  ).map((f) => ({ kind: f.kind, reason: f.reason, status: f.status, serviceId: f.service_id, detectedAt: iso(f.detected_at), detail: JSON.parse(f.detail) as unknown }));
  const today = days.of(now);
  const usage = a ? scoring.usageScores(a.first_day, a.last_day, a.active_days, today) : null;
  const subs = c.prepare("SELECT service_id, state, renewals, subscribed_at, consecutive_failures FROM subscriptions WHERE subscriber_id = ? AND state IN ('active', 'grace', 'suspended')").all(subscriberId) as {
    service_id: string;
    state: string;
    renewals: number;
    subscribed_at: number | null;
    consecutive_failures: number;
  }[];
  const subscriptions = subs.map((s) => {
    const sc = scoring.score({ serviceId: s.service_id, state: s.state, renewals: s.renewals, subscribedAt: s.subscribed_at, consecutiveFailures: s.consecutive_failures }, usage?.pAlive ?? null);
    return {
      serviceId: s.service_id,
      state: s.state,
      ...(sc ? { renewProbability: r3(sc.renewProbability), residualPeriods: r3(sc.residualPeriods), residualValue: r3(sc.residualValue), risk: r3(sc.risk), valueAtRisk: r3(sc.valueAtRisk) } : {}),
    };
  });
  const interventions = (
    c
      .prepare(
        // The delivery state comes from the message or call the intervention points at (one source of truth).
        `SELECT i.kind, i.finding_kind, i.arm, i.channel, i.status, i.reason, i.at, i.reached_content_at, i.returned_at, i.renewed_at,
           CASE WHEN i.arm = 'holdout' THEN NULL WHEN i.channel = 'sms' THEN coalesce(m.status, i.status)
                WHEN i.channel = 'call' AND cl.id IS NOT NULL THEN ${callStateSql('cl')} ELSE i.status END AS delivery
         FROM crm_interventions i LEFT JOIN messages m ON i.channel = 'sms' AND m.id = i.message_id LEFT JOIN calls cl ON i.channel = 'call' AND cl.id = i.call_id
         WHERE i.subscriber_id = ? ORDER BY i.at DESC LIMIT 5`,
      )
      .all(subscriberId) as {
      kind: string;
      finding_kind: string;
      arm: string;
      channel: string;
      status: string;
      reason: string | null;
      at: number;
      reached_content_at: number | null;
      returned_at: number | null;
      renewed_at: number | null;
      delivery: string | null;
    }[]
  ).map((i) => ({
    kind: i.kind,
    finding: i.finding_kind,
    arm: i.arm,
    channel: i.channel,
    status: i.status,
    ...(i.reason ? { reason: i.reason } : {}),
    delivery: i.delivery,
    at: iso(i.at),
    outcome: { returnedAt: iso(i.returned_at), reachedContentAt: iso(i.reached_content_at), renewedAt: iso(i.renewed_at) },
  }));
  return {
    flags,
    activity: a
      ? {
          firstActiveDay: a.first_day === null ? null : days.iso(a.first_day),
          lastActiveDay: a.last_day === null ? null : days.iso(a.last_day),
          activeDays: a.active_days,
          sessions: a.sessions,
          contentSessions: a.content_sessions,
          firstAttemptSessions: a.clean_sessions,
          stuckSessions: a.stuck_sessions,
          firstSessionFoundContent: a.first_content === null ? null : a.first_content === 1,
          lastSessionAt: iso(a.last_session_at),
          lastContentAt: iso(a.last_content_at),
        }
      : null,
    scores: usage ? { pAlive: r3(usage.pAlive), expectedActiveDays30: r3(usage.expectedActiveDays30), residualLifetimeDays: r3(usage.residualLifetimeDays), cohort: usage.cohort } : null,
    subscriptions,
    interventions,
  };
}
