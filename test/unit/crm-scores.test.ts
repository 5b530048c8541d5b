import { describe, expect, it } from 'vitest';
import { bgbbLikelihood, bgbbLogLikelihood, expectedActiveDays, fitBgbb, PAliveCache, pAlive, type BgbbGroup, type BgbbParams } from '../../src/crm/scores/bgbb';
import { churnAt, fitSbg, residualLifetime, retentionRate, survival, survivorsToData } from '../../src/crm/scores/sbg';
import { lbeta, lgamma } from '../../src/crm/scores/special';
import { Random } from '../../src/crm/scores/random';

describe('special functions', () => {
  it('lgamma matches known values', () => {
    expect(lgamma(1)).toBeCloseTo(0, 12);
    expect(lgamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(lgamma(10)).toBeCloseTo(Math.log(362880), 10);
    expect(lgamma(0.01)).toBeCloseTo(4.599479878042022, 10);
    expect(Math.exp(lbeta(2, 3))).toBeCloseTo(1 / 12, 12);
  });
});

describe('sBG (Fader & Hardie 2007)', () => {
  const p = { a: 0.668, b: 3.806 };

  it('reproduces the docs/domain.md test vector: S(8..12) and the residual lifetime', () => {
    expect([8, 9, 10, 11, 12].map((t) => survival(p, t).toFixed(3))).toEqual(['0.460', '0.436', '0.414', '0.395', '0.378']);
    expect(residualLifetime(p, 8, 0.1).toFixed(3)).toBe('7.530');
  });

  it('is consistent: r_t = S(t)/S(t-1), P(T=t) = S(t-1) - S(t)', () => {
    for (let t = 1; t <= 20; t++) {
      expect(retentionRate(p, t)).toBeCloseTo(survival(p, t) / survival(p, t - 1), 12);
      expect(churnAt(p, t)).toBeCloseTo(survival(p, t - 1) - survival(p, t), 12);
    }
  });

  it('recovers the published fit from the high-end customers of the paper (years 0-7)', () => {
    const fit = fitSbg(survivorsToData([1000, 869, 743, 653, 593, 551, 517, 491]));
    expect(fit.params.a).toBeCloseTo(0.668, 2);
    expect(fit.params.b).toBeCloseTo(3.806, 1);
    expect(fit.converged).toBe(true);
  });

  it('recovers known parameters from simulated, censored cohorts', () => {
    const truth = { a: 0.9, b: 2.5 };
    const r = new Random(11);
    const lost: number[] = [0];
    const active: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const theta = r.beta(truth.a, truth.b);
      const observed = 1 + r.int(15); // joined at different times: censored after 1..15 renewals
      let t = 1;
      while (t <= observed && !r.chance(theta)) t++;
      if (t <= observed) lost[t] = (lost[t] ?? 0) + 1;
      else active[observed] = (active[observed] ?? 0) + 1;
    }
    const fit = fitSbg({ lost: Array.from(lost, (v) => v ?? 0), active: Array.from(active, (v) => v ?? 0) });
    expect(Math.abs(fit.params.a - truth.a) / truth.a).toBeLessThan(0.1);
    expect(Math.abs(fit.params.b - truth.b) / truth.b).toBeLessThan(0.12);
  });
});

describe('BG/BB (Fader, Hardie & Shang 2010)', () => {
  const p: BgbbParams = { a: 1.204, b: 0.75, g: 0.657, d: 2.783 };
  const choose = (n: number, k: number) => {
    let v = 1;
    for (let i = 0; i < k; i++) v = (v * (n - i)) / (i + 1);
    return v;
  };

  it('is a probability distribution over every possible history', () => {
    for (const n of [1, 6, 11]) {
      let total = bgbbLikelihood(p, 0, 0, n);
      for (let tx = 1; tx <= n; tx++) for (let x = 1; x <= tx; x++) total += choose(tx - 1, x - 1) * bgbbLikelihood(p, x, tx, n);
      expect(total).toBeCloseTo(1, 10);
    }
  });

  it('gives P(alive) = 1 for someone active on the last opportunity, and the posterior by direct integration otherwise', () => {
    expect(pAlive(p, 3, 6, 6)).toBe(1);
    // Integrate the posterior over (p, θ) on a grid: alive after n means no death in n opportunities.
    const integrate = (x: number, tx: number, n: number) => {
      const N = 600;
      let alive = 0;
      let all = 0;
      for (let i = 0; i < N; i++) {
        const q = (i + 0.5) / N;
        const fq = Math.pow(q, p.a - 1) * Math.pow(1 - q, p.b - 1) * Math.pow(q, x) * Math.pow(1 - q, tx - x);
        for (let j = 0; j < N; j++) {
          const th = (j + 0.5) / N;
          const ft = Math.pow(th, p.g - 1) * Math.pow(1 - th, p.d - 1);
          const aliveLik = Math.pow(1 - q, n - tx) * Math.pow(1 - th, n);
          let deadLik = 0;
          for (let k = tx; k < n; k++) deadLik += Math.pow(1 - q, k - tx) * Math.pow(1 - th, k) * th;
          alive += fq * ft * aliveLik;
          all += fq * ft * (aliveLik + deadLik);
        }
      }
      return alive / all;
    };
    for (const [x, tx, n] of [[2, 3, 6], [0, 0, 5], [4, 4, 10]] as const) expect(pAlive(p, x, tx, n)).toBeCloseTo(integrate(x, tx, n), 2);
  });

  it('expected active days match the closed form of the paper', () => {
    const { a, b, g, d } = p;
    const [x, tx, n, k] = [3, 5, 6, 10];
    const L = bgbbLikelihood(p, x, tx, n);
    const closed =
      (1 / L) *
      Math.exp(lbeta(a + x + 1, b + n - x) - lbeta(a, b)) *
      (d / (g - 1)) *
      Math.exp(lgamma(g + d) - lgamma(1 + d)) *
      (Math.exp(lgamma(1 + d + n) - lgamma(g + d + n)) - Math.exp(lgamma(1 + d + n + k) - lgamma(g + d + n + k)));
    expect(expectedActiveDays(p, x, tx, n, k)).toBeCloseTo(closed, 10);
  });

  it('recovers known parameters from simulated daily activity', () => {
    const truth: BgbbParams = { a: 0.8, b: 3, g: 0.7, d: 8 };
    const r = new Random(5);
    const groups = new Map<string, BgbbGroup>();
    for (let i = 0; i < 30_000; i++) {
      const q = r.beta(truth.a, truth.b);
      const th = r.beta(truth.g, truth.d);
      const n = 20 + r.int(40);
      let x = 0;
      let tx = 0;
      for (let t = 1; t <= n; t++) {
        if (r.chance(th)) break;
        if (r.chance(q)) {
          x++;
          tx = t;
        }
      }
      const key = `${x},${tx},${n}`;
      const g = groups.get(key);
      if (g) g.count++;
      else groups.set(key, { x, tx, n, count: 1 });
    }
    const fit = fitBgbb([...groups.values()]);
    const mean = (u: number, v: number) => u / (u + v);
    expect(mean(fit.params.a, fit.params.b)).toBeCloseTo(mean(truth.a, truth.b), 2);
    expect(mean(fit.params.g, fit.params.d)).toBeCloseTo(mean(truth.g, truth.d), 2);
    for (const k of ['a', 'b', 'g', 'd'] as const) expect(Math.abs(fit.params[k] - truth[k]) / truth[k]).toBeLessThan(0.2);
    // The fit is a maximum: nudging any parameter lowers the likelihood.
    const best = bgbbLogLikelihood(fit.params, [...groups.values()]);
    for (const k of ['a', 'b', 'g', 'd'] as const) expect(bgbbLogLikelihood({ ...fit.params, [k]: fit.params[k] * 1.05 }, [...groups.values()])).toBeLessThan(best);
  });

  it('finds the day a quiet subscriber crosses a P(alive) threshold', () => {
    const cache = new PAliveCache(p);
    const n = cache.crossing(5, 8, 0.3)!;
    expect(cache.get(5, 8, n)).toBeLessThan(0.3);
    expect(cache.get(5, 8, n - 1)).toBeGreaterThanOrEqual(0.3);
    expect(cache.get(5, 8, n)).toBeCloseTo(pAlive(p, 5, 8, n), 12);
  });
});
