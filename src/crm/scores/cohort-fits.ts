import type { FitOptions, FitQuality } from './fit-quality';

/** Why a cohort shows the pooled curve instead of its own. */
export type PooledReason = 'too_small' | 'too_young' | 'too_few_events';

/** The rules of an honest cohort fit (config `crm.fits`). */
export interface CohortFitRules {
  minCohortSize: number;
  /** A cohort observed for fewer days than this cannot tell its long-run churn apart from its early churn. */
  minAgeDays: number;
  /** sBG: at least this many lapses before a cohort's own churn is estimated. */
  minEvents: number;
  /** Standard deviation, on the log scale, of the prior centred on the pooled fit. */
  priorSd: number;
  bounds: { min: number; max: number };
}

/** One cohort's data as the fitter needs it. */
export interface CohortData<D> {
  cohort: string;
  data: D;
  /** Subscribers or subscriptions. */
  n: number;
  /** Days between the cohort's earliest start and the last observation. */
  ageDays: number;
  /** Lapses observed (sBG); null where the model has no such count (BG/BB). */
  events: number | null;
}

/** One cohort's fit as stored: the parameters used, and what stands behind them. */
export interface CohortFit<P> {
  cohort: string;
  params: P;
  quality: FitQuality & { usedPooled: boolean; reason: PooledReason | null; reasons: PooledReason[]; explanation: string | null; ageDays: number; events: number | null };
}

/** How one model is fitted: by maximum likelihood (with options) and its plain log-likelihood. */
export interface ModelFitter<P, D> {
  fit(data: D, start: P | undefined, opts: FitOptions<P>): { params: P; quality: FitQuality };
  logLikelihood(params: P, data: D): number;
}

/**
 * Why a cohort cannot stand on its own (every reason, the most fundamental first), or null when it can.
 * Youth comes first: however large, a cohort seen for a few days cannot tell its long-run churn apart.
 */
export function pooledReasons(c: { n: number; ageDays: number; events: number | null }, rules: CohortFitRules): { reasons: PooledReason[]; explanation: string } | null {
  const why: [PooledReason, string][] = [];
  if (c.ageDays < rules.minAgeDays) why.push(['too_young', `observed for ${c.ageDays} days (at least ${rules.minAgeDays} are needed)`]);
  if (c.n < rules.minCohortSize) why.push(['too_small', `${c.n} in the cohort (at least ${rules.minCohortSize} are needed)`]);
  if (c.events !== null && c.events < rules.minEvents) why.push(['too_few_events', `${c.events} lapses so far (at least ${rules.minEvents} are needed)`]);
  if (why.length === 0) return null;
  return { reasons: why.map((w) => w[0]), explanation: `Shows the pooled curve (all cohorts together): ${why.map((w) => w[1]).join('; ')}.` };
}

/**
 * Fits the pooled cohort first (bounded maximum likelihood), then each cohort: too small, too young or
 * with too few events, it takes the pooled parameters and says why; otherwise it is fitted with a weak
 * prior centred on the pooled fit, so a cohort with little information lands near the pooled curve and a
 * large one follows its own data. Returns null for the pooled fit when there is nothing to fit.
 */
export function fitCohorts<P, D>(
  pooled: CohortData<D>,
  cohorts: readonly CohortData<D>[],
  model: ModelFitter<P, D>,
  rules: CohortFitRules,
  previous: (cohort: string) => P | undefined,
): { pooled: CohortFit<P>; cohorts: CohortFit<P>[] } | null {
  if (pooled.n === 0 || (pooled.events !== null && pooled.events === 0)) return null;
  const p = model.fit(pooled.data, previous(pooled.cohort), { bounds: rules.bounds });
  // Nothing to fall back on for the pooled fit itself: it is used, but says when it is thin.
  const thin = pooledReasons(pooled, rules);
  const pooledFit: CohortFit<P> = {
    cohort: pooled.cohort,
    params: p.params,
    quality: {
      ...p.quality,
      usedPooled: false,
      reason: null,
      reasons: thin?.reasons ?? [],
      explanation: thin ? `Little data even with all cohorts together; treat this curve as a first guess: ${thin.explanation.slice(thin.explanation.indexOf(': ') + 2)}` : null,
      ageDays: pooled.ageDays,
      events: pooled.events,
    },
  };
  const out: CohortFit<P>[] = [];
  for (const c of cohorts) {
    const why = pooledReasons(c, rules);
    if (why) {
      const ll = model.logLikelihood(p.params, c.data);
      out.push({
        cohort: c.cohort,
        params: p.params,
        quality: { ...p.quality, n: c.n, logLikelihood: ll, shrunk: false, usedPooled: true, reason: why.reasons[0]!, reasons: why.reasons, explanation: why.explanation, ageDays: c.ageDays, events: c.events },
      });
      continue;
    }
    const f = model.fit(c.data, previous(c.cohort) ?? p.params, { bounds: rules.bounds, prior: { centre: p.params, sd: rules.priorSd } });
    out.push({ cohort: c.cohort, params: f.params, quality: { ...f.quality, usedPooled: false, reason: null, reasons: [], explanation: null, ageDays: c.ageDays, events: c.events } });
  }
  return { pooled: pooledFit, cohorts: out };
}
