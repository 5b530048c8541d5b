import type { Db } from '../db/client';
import { iso } from '../lib/clock';

const r3 = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);

/**
 * The risk ranking: live subscriptions by value at risk (risk of losing them as engaged payers times
 * their expected residual value), as of the last scoring.
 */
export function riskReport(db: Db, service: string | undefined, state: string | undefined, limit: number): Record<string, unknown> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (service) {
    where.push('r.service_id = ?');
    args.push(service);
  }
  if (state) {
    where.push('r.state = ?');
    args.push(state);
  }
  const rows = db.$client
    .prepare(
      `SELECT s.msisdn, s.region, s.crop, r.service_id, r.state, r.p_alive, r.renew_probability, r.residual_periods, r.residual_value, r.risk, r.value_at_risk, r.computed_at
       FROM crm_risk r JOIN subscribers s ON s.id = r.subscriber_id ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY r.value_at_risk DESC LIMIT ?`,
    )
    .all(...args, limit) as {
    msisdn: string;
    region: string | null;
    crop: string | null;
    service_id: string;
    state: string;
    p_alive: number | null;
    renew_probability: number;
    residual_periods: number;
    residual_value: number;
    risk: number;
    value_at_risk: number;
    computed_at: number;
  }[];
  const summary = db.$client.prepare("SELECT day, data FROM crm_snapshots WHERE kind = 'risk' ORDER BY day DESC LIMIT 1").get() as { day: number; data: string } | undefined;
  return {
    computedAt: rows[0] ? iso(rows[0].computed_at) : null,
    summary: summary ? (JSON.parse(summary.data) as unknown) : null,
    ranking: rows.map((r, i) => ({
      rank: i + 1,
      msisdn: r.msisdn,
      region: r.region,
      crop: r.crop,
      serviceId: r.service_id,
      state: r.state,
      pAlive: r3(r.p_alive),
      renewProbability: r3(r.renew_probability),
      residualPeriods: r3(r.residual_periods),
      residualValue: r3(r.residual_value),
      risk: r3(r.risk),
      valueAtRisk: r3(r.value_at_risk),
    })),
  };
}
