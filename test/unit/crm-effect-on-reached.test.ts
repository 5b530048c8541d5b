import { describe, expect, it } from 'vitest';
import { reachedMeanDifference, reachedUplift } from '../../src/crm/experiments';
import { seededRandom } from '../helpers/rng';


/**
 * One randomized experiment with a planted truth: a share `delivery` of the treated is reached; the
 * outcome's base rate is `base` for everyone, and `effect` more for those reached (nobody else).
 */
function experiment(r: () => number, nt: number, nh: number, delivery: number, base: number, effect: number) {
  let successes = 0;
  let reached = 0;
  let both = 0;
  let sum = 0;
  let sumSq = 0;
  let sumReached = 0;
  for (let i = 0; i < nt; i++) {
    const hit = r() < delivery;
    const y = r() < base + (hit ? effect : 0);
    const revenue = (y ? 5 : 0) + (hit ? 3 : 0);
    if (hit) reached++;
    if (y) successes++;
    if (y && hit) both++;
    sum += revenue;
    sumSq += revenue * revenue;
    if (hit) sumReached += revenue;
  }
  let hs = 0;
  let hsum = 0;
  let hsumSq = 0;
  for (let i = 0; i < nh; i++) {
    const y = r() < base;
    if (y) hs++;
    hsum += y ? 5 : 0;
    hsumSq += y ? 25 : 0;
  }
  return {
    share: reachedUplift({ n: nt, successes }, { n: nh, successes: hs }, reached, both),
    revenue: reachedMeanDifference({ n: nt, sum, sumSq }, { n: nh, sum: hsum, sumSq: hsumSq }, reached, sumReached),
  };
}

describe('effect on those reached (Wald estimator with a delta-method interval)', () => {
  it('recovers a planted effect, and its 95% interval covers the truth about 95% of the time', () => {
    const r = seededRandom(20261205);
    const reps = 400;
    let covered = 0;
    let coveredRevenue = 0;
    let mean = 0;
    for (let k = 0; k < reps; k++) {
      const { share, revenue } = experiment(r, 1500, 400, 0.4, 0.1, 0.2);
      mean += share.effect! / reps;
      if (share.ci95![0] <= 0.2 && 0.2 <= share.ci95![1]) covered++;
      // Planted revenue effect on those reached: 0.2 x 5 + 3 = 4.
      if (revenue.ci95![0] <= 4 && 4 <= revenue.ci95![1]) coveredRevenue++;
    }
    expect(mean).toBeGreaterThan(0.18);
    expect(mean).toBeLessThan(0.22);
    expect(covered / reps).toBeGreaterThan(0.91);
    expect(covered / reps).toBeLessThan(0.99);
    expect(coveredRevenue / reps).toBeGreaterThan(0.91);
    expect(coveredRevenue / reps).toBeLessThan(0.99);
  });

  it('is unknown when nobody was reached or an arm is empty', () => {
    expect(reachedUplift({ n: 10, successes: 2 }, { n: 10, successes: 1 }, 0, 0)).toEqual({ effect: null, ci95: null, significant: false });
    expect(reachedUplift({ n: 10, successes: 2 }, { n: 0, successes: 0 }, 5, 1)).toEqual({ effect: null, ci95: null, significant: false });
  });

  it('keeps an honest width when every reached subscriber responded in a small group', () => {
    const e = reachedUplift({ n: 13, successes: 5 }, { n: 11, successes: 0 }, 5, 5);
    expect(e.effect).toBeCloseTo(1, 6);
    expect(e.ci95![0]).toBeLessThan(0.9);
    expect(e.ci95![1]).toBe(1);
  });
});
