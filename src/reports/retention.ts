import { POOLED } from '../crm/scoring';
import { residualLifetime, retentionRate, survival, type SbgCohortData, type SbgParams } from '../crm/scores/sbg';
import type { BgbbParams } from '../crm/scores/bgbb';
import { keysInOrder } from '../db/portable';
import type { ReportRange } from './range';
import type { FitsStore } from './stores/fits-store';

const r4 = (v: number) => Math.round(v * 10000) / 10000;

/** Each model's parameters in the order the report lists their intervals. */
const PARAM_ORDER = { sbg: ['a', 'b'], bgbb: ['a', 'b', 'g', 'd'] } as const;

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

type StoredQuality = {
  n?: number;
  logLikelihood?: number;
  converged?: boolean;
  identified?: boolean;
  atBound?: string[];
  shrunk?: boolean;
  usedPooled?: boolean;
  reason?: string | null;
  reasons?: string[];
  explanation?: string | null;
  ageDays?: number;
  params?: Record<string, { estimate: number; seLog: number | null; low: number | null; high: number | null }>;
};

/** Fit quality as the report shows it: size, log-likelihood, 95% intervals, and whether the pooled fit stands in. */
function quality(q: StoredQuality, size: number, ll: number, order: readonly string[]): Record<string, unknown> {
  const intervals: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(keysInOrder(q.params ?? {}, order))) intervals[k] = { estimate: r4(v.estimate), low: v.low === null ? null : r4(v.low), high: v.high === null ? null : r4(v.high), seLog: v.seLog === null ? null : r4(v.seLog) };
  return {
    n: size,
    logLikelihood: Math.round(ll * 100) / 100,
    ageDays: q.ageDays ?? null,
    usedPooled: q.usedPooled ?? false,
    ...(q.usedPooled ? { reason: q.reason, reasons: q.reasons ?? [q.reason], explanation: q.explanation } : {}),
    ...(!q.usedPooled && q.explanation ? { thin: q.reasons ?? [], explanation: q.explanation } : {}),
    shrunkTowardPooled: q.shrunk ?? false,
    converged: q.converged ?? null,
    identified: q.identified ?? null,
    atBound: q.atBound ?? [],
    intervals95: intervals,
  };
}

/**
 * Retention and churn by cohort: for each service and subscription cohort, the observed survival by
 * renewal (Kaplan–Meier) against the sBG curve in use (the cohort's own fit, shrunk towards the pooled
 * one, or the pooled fit itself when the cohort is too small or too young, saying so), renewal rate by
 * tenure, expected lifetime of a new subscriber and the fit's quality; plus the BG/BB fit of each
 * activity cohort with its quality.
 */
export async function retentionReport(store: FitsStore, r: ReportRange, service: string | undefined, config: { annualDiscountRate: number; periodDays: (serviceId: string) => number }): Promise<Record<string, unknown>> {
  const fits = await store.all();
  // A cohort (YYYY-MM, or the Monday YYYY-MM-DD of a week) is shown when its days overlap the range.
  const inRange = (cohort: string) => {
    if (cohort === POOLED) return true;
    const start = Date.parse(cohort.length === 7 ? `${cohort}-01T00:00:00Z` : `${cohort}T00:00:00Z`);
    const d = new Date(start);
    const end = cohort.length === 7 ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) : start + 7 * 86_400_000;
    return start <= r.to && end > r.from;
  };
  const subscriptions = fits
    .filter((f) => f.model === 'sbg' && (!service || f.serviceId === service) && inRange(f.cohort))
    .map((f) => {
      const p = f.params as unknown as SbgParams;
      const obs = f.observed as unknown as SbgCohortData;
      const q = f.quality as StoredQuality;
      const observed = observedSurvival(obs);
      const horizon = Math.max(12, observed.length + 6);
      const periodDays = config.periodDays(f.serviceId);
      const discount = Math.pow(1 + config.annualDiscountRate, periodDays / 365) - 1;
      const lifetime = residualLifetime(p, 1, discount, Math.floor(3650 / periodDays));
      const fitted = Array.from({ length: horizon + 1 }, (_, t) => ({ period: t, survival: r4(survival(p, t)), ...(t > 0 ? { renewalRate: r4(retentionRate(p, t)) } : {}) }));
      return {
        serviceId: f.serviceId,
        cohort: f.cohort === POOLED ? 'all' : f.cohort,
        subscriptions: f.size,
        churned: obs.lost.reduce((s, v) => s + (v ?? 0), 0),
        curve: q.usedPooled ? 'pooled' : f.cohort === POOLED ? 'pooled' : 'own',
        sbg: { a: r4(p.a), b: r4(p.b), meanChurnPerPeriod: r4(p.a / (p.a + p.b)), logLikelihood: Math.round(f.logLikelihood * 100) / 100 },
        quality: quality(q, f.size, f.logLikelihood, PARAM_ORDER.sbg),
        // Side by side, period by period, as far as the cohort has been observed.
        observedVsFitted: observed.map((o) => ({ period: o.period, atRisk: o.atRisk, observed: o.survival, fitted: fitted[o.period]?.survival ?? r4(survival(p, o.period)) })),
        observed,
        fitted,
        expectedLifetimePeriods: r4(lifetime),
        expectedLifetimeDays: Math.round(lifetime * periodDays * 10) / 10,
        periodDays,
        fittedAt: new Date(f.fittedAt).toISOString(),
      };
    });
  const activity = fits
    .filter((f) => f.model === 'bgbb' && inRange(f.cohort))
    .map((f) => {
      const p = f.params as unknown as BgbbParams;
      const q = f.quality as StoredQuality;
      const rep = (f.observed as { repeatDays?: { observed: number[]; fitted: number[] } }).repeatDays;
      return {
        cohort: f.cohort === POOLED ? 'all' : f.cohort,
        subscribers: f.size,
        curve: q.usedPooled ? 'pooled' : f.cohort === POOLED ? 'pooled' : 'own',
        bgbb: { a: r4(p.a), b: r4(p.b), g: r4(p.g), d: r4(p.d) },
        meanDailyActivity: r4(p.a / (p.a + p.b)),
        meanDailyDropout: r4(p.g / (p.g + p.d)),
        quality: quality(q, f.size, f.logLikelihood, PARAM_ORDER.bgbb),
        // How many subscribers used the service on 0, 1, 2, ... further days after their first, against
        // what the curve in use expects: where they part, the usage curve is wrong for that cohort.
        observedVsFitted: rep
          ? rep.observed.map((o, x) => ({ repeatActiveDays: x === rep.observed.length - 1 ? `${x}+` : String(x), observed: o, fitted: rep.fitted[x] ?? null }))
          : [],
      };
    });
  return { subscriptions, activity };
}
