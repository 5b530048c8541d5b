import { lbeta } from './special';
import { clampLog, DEFAULT_BOUNDS, fitQuality, inBounds, priorPenalty, type FitOptions, type FitQuality } from './fit-quality';
import { minimizeWithRestarts } from './nelder-mead';

/**
 * The shifted-beta-geometric model of renewals (Fader & Hardie 2007): each subscriber cancels at a renewal
 * with probability θ ~ Beta(a, b), so the cohort's retention rises with tenure as the likely churners leave.
 */
export interface SbgParams {
  a: number;
  b: number;
}

/** S(t) = B(a, b+t)/B(a, b): the share of a cohort still subscribed after t renewals. */
export function survival(p: SbgParams, t: number): number {
  return Math.exp(lbeta(p.a, p.b + t) - lbeta(p.a, p.b));
}

/** P(T = t): the share that leaves at renewal t (t >= 1). */
export function churnAt(p: SbgParams, t: number): number {
  return Math.exp(lbeta(p.a + 1, p.b + t - 1) - lbeta(p.a, p.b));
}

/** r_t = (b+t-1)/(a+b+t-1): the renewal rate at renewal t of those still there. */
export function retentionRate(p: SbgParams, t: number): number {
  return (p.b + t - 1) / (p.a + p.b + t - 1);
}

/**
 * Discounted expected residual lifetime, in periods, of a subscriber who has renewed n-1 times:
 * Σ_{k>=0} S(n+k)/S(n-1) · (1+d)^-k, summed until the terms vanish or `maxPeriods` is reached.
 */
export function residualLifetime(p: SbgParams, n: number, discount: number, maxPeriods = Infinity): number {
  // S(t+1)/S(t) = (b+t)/(a+b+t): the ratio S(n+k)/S(n-1) is a running product.
  let ratio = 1;
  let sum = 0;
  let disc = 1;
  for (let k = 0; k < maxPeriods; k++) {
    const t = n - 1 + k;
    ratio *= (p.b + t) / (p.a + p.b + t);
    const term = ratio * disc;
    sum += term;
    if (term < 1e-12 * sum || k > 1_000_000) break;
    disc /= 1 + discount;
  }
  return sum;
}

/** A cohort's observed renewals: `lost[t]` left at renewal t (t >= 1), `active[t]` still there after t renewals. */
export interface SbgCohortData {
  lost: number[];
  active: number[];
}

/** Log-likelihood of a cohort's data. */
export function sbgLogLikelihood(p: SbgParams, data: SbgCohortData): number {
  const maxT = Math.max(data.lost.length, data.active.length);
  let ll = 0;
  let logP = Math.log(p.a / (p.a + p.b)); // P(T = 1)
  let logS = 0; // S(0)
  for (let t = 0; t < maxT; t++) {
    if (t >= 1) {
      const lost = data.lost[t] ?? 0;
      if (lost > 0) ll += lost * logP;
      logS += Math.log((p.b + t - 1) / (p.a + p.b + t - 1));
      // P(T = t+1) = P(T = t) · (b+t-1)/(a+b+t)
      logP += Math.log((p.b + t - 1) / (p.a + p.b + t));
    }
    const active = data.active[t] ?? 0;
    if (active > 0) ll += active * logS;
  }
  return ll;
}

export interface SbgFit {
  params: SbgParams;
  logLikelihood: number;
  subscriptions: number;
  converged: boolean;
  quality: FitQuality;
}

/**
 * Maximum-likelihood sBG fit of one cohort, with parameters kept inside `bounds` and, given a prior
 * (the pooled fit), the penalised (maximum a posteriori) estimate that a small cohort needs.
 */
export function fitSbg(data: SbgCohortData, start: SbgParams = { a: 1, b: 1 }, opts: FitOptions<SbgParams> = {}): SbgFit {
  const subscriptions = data.lost.reduce((s, v) => s + (v ?? 0), 0) + data.active.reduce((s, v) => s + (v ?? 0), 0);
  const bounds = opts.bounds ?? DEFAULT_BOUNDS;
  const prior = opts.prior;
  const centre = prior ? [Math.log(prior.centre.a), Math.log(prior.centre.b)] : null;
  const objective = (v: number[]) => {
    if (!inBounds(v, bounds)) return Infinity;
    const nll = -sbgLogLikelihood({ a: Math.exp(v[0]!), b: Math.exp(v[1]!) }, data);
    return centre ? nll + priorPenalty(v, centre, prior!.sd) : nll;
  };
  const r = minimizeWithRestarts(objective, clampLog([Math.log(start.a), Math.log(start.b)], bounds), { maxEvals: 2000, tolerance: 1e-12, step: 0.5 });
  const params = { a: Math.exp(r.x[0]!), b: Math.exp(r.x[1]!) };
  const logLikelihood = sbgLogLikelihood(params, data);
  const quality = fitQuality(['a', 'b'], objective, r.x, { n: subscriptions, logLikelihood, converged: r.converged, shrunk: centre !== null, bounds });
  return { params, logLikelihood, subscriptions, converged: r.converged, quality };
}

/**
 * Turns the survivor counts of a cohort (everyone observed for `counts.length - 1` periods: counts[0] at
 * the start, counts[t] still there after t renewals) into sBG data.
 */
export function survivorsToData(counts: number[]): SbgCohortData {
  const lost = [0];
  for (let t = 1; t < counts.length; t++) lost.push(counts[t - 1]! - counts[t]!);
  const active = counts.map((_, t) => (t === counts.length - 1 ? counts[t]! : 0));
  return { lost, active };
}
