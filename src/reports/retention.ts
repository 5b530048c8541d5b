import type { Db } from '../db/client';
import { POOLED } from '../crm/scoring';
import { residualLifetime, retentionRate, survival, type SbgCohortData, type SbgParams } from '../crm/scores/sbg';
import type { BgbbParams } from '../crm/scores/bgbb';
import type { ReportRange } from './range';

const r4 = (v: number) => Math.round(v * 10000) / 10000;

/** Kaplan–Meier survival by renewal from censored cohort data: the curve the data shows, before any model. */
export function observedSurvival(d: SbgCohortData): { period: number; atRisk: number; survival: number }[] {
  const maxT = Math.max(d.lost.length, d.active.length);
  let atRisk = d.lost.reduce((s, v) => s + (v ?? 0), 0) + d.active.reduce((s, v) => s + (v ?? 0), 0);
  let s = 1;
  const out = [{ period: 0, atRisk, survival: 1 }];
  for (let t = 1; t < maxT; t++) {
    atRisk -= d.active[t - 1] ?? 0; // censored after t-1 renewals: not at risk at renewal t
    if (atRisk <= 0) break;
    s *= 1 - (d.lost[t] ?? 0) / atRisk;
    out.push({ period: t, atRisk, survival: r4(s) });
    atRisk -= d.lost[t] ?? 0;
  }
  return out;
}

/**
 * Retention and churn by cohort: for each service and subscription cohort, the observed survival by
 * renewal (Kaplan–Meier), the sBG fit (a, b) and its curve projected ahead, renewal rate by tenure and
 * expected lifetime of a new subscriber; plus the BG/BB fit of each activity cohort.
 */
export function retentionReport(db: Db, r: ReportRange, service: string | undefined, config: { annualDiscountRate: number; periodDays: (serviceId: string) => number }): Record<string, unknown> {
  const fits = db.$client.prepare('SELECT model, service_id, cohort, params, size, log_likelihood, observed, fitted_at FROM crm_fits ORDER BY model, service_id, cohort').all() as {
    model: string;
    service_id: string;
    cohort: string;
    params: string;
    size: number;
    log_likelihood: number;
    observed: string;
    fitted_at: number;
  }[];
  // A cohort (YYYY-MM, or the Monday YYYY-MM-DD of a week) is shown when its days overlap the range.
  const inRange = (cohort: string) => {
    if (cohort === POOLED) return true;
    const start = Date.parse(cohort.length === 7 ? `${cohort}-01T00:00:00Z` : `${cohort}T00:00:00Z`);
    const d = new Date(start);
    const end = cohort.length === 7 ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) : start + 7 * 86_400_000;
    return start <= r.to && end > r.from;
  };
  const subscriptions = fits
    .filter((f) => f.model === 'sbg' && (!service || f.service_id === service) && inRange(f.cohort))
    .map((f) => {
      const p = JSON.parse(f.params) as unknown as SbgParams;
      const obs = JSON.parse(f.observed) as SbgCohortData;
      const observed = observedSurvival(obs);
      const horizon = Math.max(12, observed.length + 6);
      const periodDays = config.periodDays(f.service_id);
      const discount = Math.pow(1 + config.annualDiscountRate, periodDays / 365) - 1;
      return {
        serviceId: f.service_id,
        cohort: f.cohort === POOLED ? 'all' : f.cohort,
        subscriptions: f.size,
        churned: obs.lost.reduce((s, v) => s + (v ?? 0), 0),
        sbg: { a: r4(p.a), b: r4(p.b), meanChurnPerPeriod: r4(p.a / (p.a + p.b)), logLikelihood: Math.round(f.log_likelihood * 100) / 100 },
        observed,
        fitted: Array.from({ length: horizon + 1 }, (_, t) => ({ period: t, survival: r4(survival(p, t)), ...(t > 0 ? { renewalRate: r4(retentionRate(p, t)) } : {}) })),
        expectedLifetimePeriods: r4(residualLifetime(p, 1, discount, Math.floor(3650 / periodDays))),
        periodDays,
        fittedAt: new Date(f.fitted_at).toISOString(),
      };
    });
  const activity = fits
    .filter((f) => f.model === 'bgbb' && inRange(f.cohort))
    .map((f) => {
      const p = JSON.parse(f.params) as unknown as BgbbParams;
      return {
        cohort: f.cohort === POOLED ? 'all' : f.cohort,
        subscribers: f.size,
        bgbb: { a: r4(p.a), b: r4(p.b), g: r4(p.g), d: r4(p.d) },
        meanDailyActivity: r4(p.a / (p.a + p.b)),
        meanDailyDropout: r4(p.g / (p.g + p.d)),
      };
    });
  return { subscriptions, activity };
}
