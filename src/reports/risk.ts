import type { Days } from '../crm/days';
import type { Db } from '../db/client';
import { iso } from '../lib/clock';

const r3 = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);

/** The two risks, each with its own ranking and its own remedy. */
export const RISK_KINDS = {
  lapse: 'billing: the subscription ends because renewals fail (sBG renewal probability, failing charges, grace or suspension)',
  disengagement: 'usage: the subscriber stops using the service (BG/BB probability of still being an active user)',
} as const;

/** The states the risk rankings hold (live subscriptions); `state` picks one. */
export const LIVE_STATES = ['active', 'grace', 'suspended'] as const;
export type LiveState = (typeof LIVE_STATES)[number];

type Row = {
  msisdn: string;
  region: string | null;
  crop: string | null;
  service_id: string;
  state: string;
  p_alive: number | null;
  last_active_day: number | null;
  active_days: number;
  renew_probability: number;
  renewals: number;
  consecutive_failures: number;
  recent_failed_charges: number;
  residual_periods: number;
  residual_value: number;
  risk: number;
  value_at_risk: number;
  computed_at: number;
};

/**
 * The risk report: separate `lapse` and `disengagement` rankings of live subscriptions, each by its own
 * value at risk (its risk times the subscription's residual value), with the evidence of both risks on
 * every item, as of the last scoring.
 */
export function riskReport(db: Db, days: Days, service: string | undefined, state: LiveState | undefined, limit: number): Record<string, unknown> {
  const where: string[] = ['r.kind = ?'];
  const filters: unknown[] = [];
  if (service) {
    where.push('r.service_id = ?');
    filters.push(service);
  }
  if (state) {
    where.push('r.state = ?');
    filters.push(state);
  }
  const q = db.$client.prepare(
    `SELECT s.msisdn, s.region, s.crop, r.service_id, r.state, r.p_alive, r.last_active_day, r.active_days, r.renew_probability, r.renewals,
       r.consecutive_failures, r.recent_failed_charges, r.residual_periods, r.residual_value, r.risk, r.value_at_risk, r.computed_at
     FROM crm_risk_rankings r JOIN subscribers s ON s.id = r.subscriber_id WHERE ${where.join(' AND ')}
     ORDER BY r.value_at_risk DESC, r.risk DESC, r.subscriber_id LIMIT ?`,
  );
  const ranking = (kind: keyof typeof RISK_KINDS) =>
    (q.all(kind, ...filters, limit) as Row[]).map((r, i) => ({
      rank: i + 1,
      msisdn: r.msisdn,
      region: r.region,
      crop: r.crop,
      serviceId: r.service_id,
      risk: r3(r.risk),
      valueAtRisk: r3(r.value_at_risk),
      residualValue: r3(r.residual_value),
      residualPeriods: r3(r.residual_periods),
      evidence: {
        state: r.state,
        renewProbability: r3(r.renew_probability),
        renewals: r.renewals,
        consecutiveFailures: r.consecutive_failures,
        recentFailedCharges: r.recent_failed_charges,
        pAlive: r3(r.p_alive),
        neverActive: r.last_active_day === null,
        lastActiveDay: r.last_active_day === null ? null : days.iso(r.last_active_day),
        activeDays: r.active_days,
      },
    }));
  const lapse = ranking('lapse');
  const disengagement = ranking('disengagement');
  const at = db.$client.prepare('SELECT max(computed_at) AS t FROM crm_risk_rankings').get() as { t: number | null };
  const summary = db.$client.prepare("SELECT day, data FROM crm_snapshots WHERE kind = 'risk' ORDER BY day DESC LIMIT 1").get() as { day: number; data: string } | undefined;
  return {
    computedAt: iso(at.t),
    kinds: RISK_KINDS,
    summary: summary ? (JSON.parse(summary.data) as unknown) : null,
    lapse,
    disengagement,
  };
}
