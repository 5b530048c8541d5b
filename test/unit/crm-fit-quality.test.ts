import { describe, expect, it } from 'vitest';
import { bgbbLikelihood, expectedRepeatHistogram, fitBgbb, type BgbbGroup, type BgbbParams } from '../../src/crm/scores/bgbb';
import { fitCohorts, type CohortData, type CohortFitRules, type ModelFitter } from '../../src/crm/scores/cohort-fits';
import { invertSpd, numericalHessian } from '../../src/crm/scores/fit-quality';
import { Random } from '../../src/crm/scores/random';
import { fitSbg, residualLifetime, sbgLogLikelihood, survivorsToData, type SbgCohortData, type SbgParams } from '../../src/crm/scores/sbg';

const SBG: ModelFitter<SbgParams, SbgCohortData> = { fit: (d, start, opts) => fitSbg(d, start, opts), logLikelihood: sbgLogLikelihood };
const RULES: CohortFitRules = { minCohortSize: 300, minAgeDays: 14, minEvents: 10, priorSd: 1, bounds: { min: 0.01, max: 1000 } };
const DAILY_DISCOUNT = Math.pow(1.1, 1 / 365) - 1;
const lifetimeDays = (p: SbgParams) => residualLifetime(p, 1, DAILY_DISCOUNT, 3650);

/** Subscriptions with churn θ ~ Beta(a, b) per renewal, each observed for 1..maxT renewals (censored). */
function simulateSbg(truth: SbgParams, n: number, maxT: number, seed: number): SbgCohortData {
  const r = new Random(seed);
  const lost: number[] = new Array<number>(maxT + 2).fill(0);
  const active: number[] = new Array<number>(maxT + 1).fill(0);
  for (let i = 0; i < n; i++) {
    const theta = r.beta(truth.a, truth.b);
    const observed = 1 + r.int(maxT);
    let t = 1;
    while (t <= observed && !r.chance(theta)) t++;
    if (t <= observed) lost[t]!++;
    else active[observed]!++;
  }
  return { lost, active };
}

const count = (d: SbgCohortData) => d.lost.reduce((s, v) => s + v, 0) + d.active.reduce((s, v) => s + v, 0);
const cohort = (name: string, data: SbgCohortData, ageDays: number): CohortData<SbgCohortData> => ({ cohort: name, data, n: count(data), ageDays, events: data.lost.reduce((s, v) => s + v, 0) });

describe('the December cohort: young, with churn that looks constant', () => {
  // Everyone else: a heterogeneous daily service observed for two months. December: 2,000 subscriptions
  // seen for 4 days, losing 4.8% a day, which a free maximum-likelihood fit reads as "no heterogeneity".
  const pooled = simulateSbg({ a: 0.7, b: 3 }, 20_000, 60, 1);
  const december = survivorsToData([2000, 1904, 1813, 1726, 1643]);

  it('fitted freely, degenerates as in the issue: huge a and b and a 20-day lifetime', () => {
    const free = fitSbg(december, { a: 1, b: 1 }, { bounds: { min: 1e-6, max: 1e6 } });
    expect(free.params.a).toBeGreaterThan(1000);
    expect(free.params.b).toBeGreaterThan(20_000);
    expect(lifetimeDays(free.params)).toBeGreaterThan(15);
    expect(lifetimeDays(free.params)).toBeLessThan(25);
    expect(free.quality.identified).toBe(false);
  });

  it('within bounds, the fit says the data pushed it to the edge', () => {
    const bounded = fitSbg(december);
    expect(Math.max(bounded.params.a, bounded.params.b)).toBeLessThanOrEqual(1000 * (1 + 1e-9));
    expect(bounded.quality.atBound.length).toBeGreaterThan(0);
    expect(bounded.quality.identified).toBe(false);
  });

  it('shows the pooled curve and says why; its expected lifetime is the pooled one', () => {
    const r = fitCohorts(cohort('*', pooled, 60), [cohort('2026-12', december, 4)], SBG, RULES, () => undefined)!;
    const dec = r.cohorts[0]!;
    expect(dec.quality).toMatchObject({ usedPooled: true, reason: 'too_young', reasons: ['too_young'], n: 2000 });
    expect(dec.quality.explanation).toContain('observed for 4 days');
    expect(lifetimeDays(dec.params)).toBeCloseTo(lifetimeDays(r.pooled.params), 9);
    expect(lifetimeDays(r.pooled.params)).toBeGreaterThan(2.5 * lifetimeDays(fitSbg(december, { a: 1, b: 1 }, { bounds: { min: 1e-6, max: 1e6 } }).params));
    // Its fit quality is still the data's: the log-likelihood of December under the pooled curve.
    expect(dec.quality.logLikelihood).toBeCloseTo(sbgLogLikelihood(r.pooled.params, december), 9);
  });
});

describe('shrinkage toward the pooled fit', () => {
  const pooled = simulateSbg({ a: 0.7, b: 3 }, 20_000, 40, 2);

  it('pulls a small cohort toward the pooled fit, never further from it than its own fit', () => {
    for (const seed of [3, 4, 5, 6, 7]) {
      const small = simulateSbg({ a: 0.7, b: 3 }, 350, 30, seed);
      const r = fitCohorts(cohort('*', pooled, 40), [cohort('c', small, 30)], SBG, RULES, () => undefined)!;
      const own = fitSbg(small);
      const dist = (p: SbgParams) => Math.hypot(Math.log(p.a / r.pooled.params.a), Math.log(p.b / r.pooled.params.b));
      expect(r.cohorts[0]!.quality).toMatchObject({ usedPooled: false, shrunk: true });
      expect(dist(r.cohorts[0]!.params)).toBeLessThanOrEqual(dist(own.params) + 1e-6);
      // Its lifetime lands nearer the pooled one than the own fit's does, or about as near.
      const gap = (p: SbgParams) => Math.abs(Math.log(lifetimeDays(p) / lifetimeDays(r.pooled.params)));
      expect(gap(r.cohorts[0]!.params)).toBeLessThanOrEqual(gap(own.params) + 0.05);
    }
  });

  it('uses a thin pooled fit (there is nothing to fall back on) but says so', () => {
    const young = simulateSbg({ a: 0.7, b: 3 }, 200, 5, 12);
    const r = fitCohorts(cohort('*', young, 5), [], SBG, RULES, () => undefined)!;
    expect(r.pooled.quality).toMatchObject({ usedPooled: false, reasons: ['too_young', 'too_small'] });
    expect(r.pooled.quality.explanation).toContain('first guess');
  });

  it('lets a large cohort follow its own data', () => {
    const other = simulateSbg({ a: 2, b: 4 }, 20_000, 30, 8);
    const r = fitCohorts(cohort('*', pooled, 40), [cohort('big', other, 30)], SBG, RULES, () => undefined)!;
    const own = fitSbg(other);
    for (const k of ['a', 'b'] as const) expect(Math.abs(Math.log(r.cohorts[0]!.params[k] / own.params[k]))).toBeLessThan(0.5 * own.quality.params[k]!.seLog!);
    expect(Math.abs(r.cohorts[0]!.params.a - 2) / 2).toBeLessThan(0.15);
  });
});

describe('intervals from the observed information', () => {
  it('inverts the Hessian of a known quadratic', () => {
    const H = numericalHessian((x) => 2 * x[0]! ** 2 + x[0]! * x[1]! + 3 * x[1]! ** 2, [0.3, -0.2]);
    expect(H[0]![0]).toBeCloseTo(4, 4);
    expect(H[0]![1]).toBeCloseTo(1, 4);
    expect(H[1]![1]).toBeCloseTo(6, 4);
    const inv = invertSpd(H)!;
    expect(inv[0]![0]).toBeCloseTo(6 / 23, 4);
    expect(inv[0]![1]).toBeCloseTo(-1 / 23, 4);
    expect(invertSpd([[1, 2], [2, 1]])).toBeNull();
  });

  it('sBG: the true values lie inside the 95% intervals, and they cover about 95% of the time', () => {
    const truth = { a: 0.9, b: 2.5 };
    const big = fitSbg(simulateSbg(truth, 20_000, 15, 11));
    for (const k of ['a', 'b'] as const) {
      expect(big.quality.params[k]!.low!).toBeLessThan(truth[k]);
      expect(big.quality.params[k]!.high!).toBeGreaterThan(truth[k]);
    }
    let covered = 0;
    const runs = 60;
    for (let s = 0; s < runs; s++) {
      const f = fitSbg(simulateSbg(truth, 2000, 12, 100 + s));
      const q = f.quality.params;
      if (q.a!.low! <= truth.a && truth.a <= q.a!.high! && q.b!.low! <= truth.b && truth.b <= q.b!.high!) covered++;
    }
    // Both intervals at once: about 0.95² ≈ 0.90 expected if they were independent, more when correlated.
    expect(covered / runs).toBeGreaterThan(0.8);
  });

  it('BG/BB: the true values lie inside the intervals, and the 95% intervals cover about 95% of the time', () => {
    const truth: BgbbParams = { a: 0.8, b: 3, g: 0.7, d: 8 };
    const fit = fitBgbb(simulateBgbb(truth, 30_000, 5));
    expect(fit.quality).toMatchObject({ n: 30_000, identified: true, converged: true, atBound: [] });
    let inside95 = 0;
    for (const k of ['a', 'b', 'g', 'd'] as const) {
      const p = fit.quality.params[k]!;
      // |z| of the truth: one of four 95% intervals missing is common (g and d move together), a 99.9% miss is not.
      const z = Math.abs(Math.log(truth[k] / p.estimate)) / p.seLog!;
      expect(z).toBeLessThan(3.29);
      if (p.low! < truth[k] && truth[k] < p.high!) inside95++;
      expect(p.seLog!).toBeLessThan(0.1);
    }
    expect(inside95).toBeGreaterThanOrEqual(3);
    let covered = 0;
    let total = 0;
    for (let s = 0; s < 12; s++) {
      const f = fitBgbb(simulateBgbb(truth, 2500, 200 + s));
      for (const k of ['a', 'b', 'g', 'd'] as const) {
        const p = f.quality.params[k]!;
        total++;
        if (p.low !== null && p.low <= truth[k] && truth[k] <= p.high!) covered++;
      }
    }
    expect(covered / total).toBeGreaterThan(0.85);
  });
});

/** Daily activity of n subscribers: active with p ~ Beta(a, b), dropping out with θ ~ Beta(g, d), for 20..59 days. */
function simulateBgbb(truth: BgbbParams, n: number, seed: number): BgbbGroup[] {
  const r = new Random(seed);
  const groups = new Map<string, BgbbGroup>();
  for (let i = 0; i < n; i++) {
    const q = r.beta(truth.a, truth.b);
    const th = r.beta(truth.g, truth.d);
    const days = 20 + r.int(40);
    let x = 0;
    let tx = 0;
    for (let t = 1; t <= days; t++) {
      if (r.chance(th)) break;
      if (r.chance(q)) {
        x++;
        tx = t;
      }
    }
    const key = `${x},${tx},${days}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { x, tx, n: days, count: 1 });
  }
  return [...groups.values()];
}

describe('observed against fitted: repeat active days', () => {
  it('P(X(n) = x) is the sum of the probabilities of every history with x repeat days', () => {
    const p: BgbbParams = { a: 1.204, b: 0.75, g: 0.657, d: 2.783 };
    const choose = (n: number, k: number) => {
      let v = 1;
      for (let i = 0; i < k; i++) v = (v * (n - i)) / (i + 1);
      return v;
    };
    for (const n of [1, 6, 11]) {
      const h = expectedRepeatHistogram(p, new Map([[n, 1]]), 20);
      for (let x = 0; x <= n; x++) {
        let direct = x === 0 ? bgbbLikelihood(p, 0, 0, n) : 0;
        for (let tx = x; tx <= n && x > 0; tx++) direct += choose(tx - 1, x - 1) * bgbbLikelihood(p, x, tx, n);
        expect(h[x]).toBeCloseTo(direct, 9);
      }
    }
  });

  it('a good fit reproduces the histogram of the data it was fitted on', () => {
    const groups = simulateBgbb({ a: 0.8, b: 3, g: 0.7, d: 8 }, 20_000, 9);
    const fit = fitBgbb(groups);
    const observed = new Array<number>(11).fill(0);
    const byN = new Map<number, number>();
    for (const g of groups) {
      observed[Math.min(g.x, 10)]! += g.count;
      byN.set(g.n, (byN.get(g.n) ?? 0) + g.count);
    }
    const fitted = expectedRepeatHistogram(fit.params, byN, 10);
    expect(fitted.reduce((s, v) => s + v, 0)).toBeCloseTo(20_000, 6);
    // Pearson chi-square over 11 buckets: well within what chance gives a right model (p ≈ 0.001 at 30).
    const chi2 = observed.reduce((s, o, x) => s + (o - fitted[x]!) ** 2 / fitted[x]!, 0);
    expect(chi2).toBeLessThan(30);
    // A wrong curve (the pooled one of a different service) is visibly off.
    const wrong = expectedRepeatHistogram({ a: 2, b: 2, g: 0.5, d: 20 }, byN, 10);
    expect(observed.reduce((s, o, x) => s + (o - wrong[x]!) ** 2 / wrong[x]!, 0)).toBeGreaterThan(1000);
  });
});
