import { wilson } from '../crm/experiments';

/**
 * Kaplan-Meier survival from a life table in whole days: `ended` runs stopped at their age, `censored`
 * runs were still going at their age. An end and a censoring on the same day: the end counts first.
 */
export interface Survival {
  /** P(still subscribed `h` days after starting), or null when no run was followed that long. */
  at(h: number): { survival: number; ci95: [number, number]; atRisk: number } | null;
  /** The median lifetime in days (half the runs lasted no longer); null when not reached in the data. */
  median(): number | null;
  /** Mean days subscribed within the first `tau` days (restricted mean lifetime); null when followed less. */
  restrictedMean(tau: number): number | null;
}

const Z = 1.959963984540054;

/** Builds the survival curve of a life table ([days, runs] pairs). */
export function kaplanMeier(ended: readonly [number, number][], censored: readonly [number, number][]): Survival {
  const maxAge = Math.max(-1, ...ended.map((e) => e[0]), ...censored.map((c) => c[0]));
  const d = new Float64Array(maxAge + 2);
  const c = new Float64Array(maxAge + 2);
  for (const [t, k] of ended) d[t]! += k;
  for (const [t, k] of censored) c[t]! += k;
  let n = 0;
  for (let t = 0; t <= maxAge; t++) n += d[t]! + c[t]!;
  // s[k] = P(lifetime >= k): product over ages t < k of (1 - d_t / n_t); g[k] the Greenwood sum.
  const s = new Float64Array(maxAge + 2);
  const g = new Float64Array(maxAge + 2);
  const atRisk = new Float64Array(maxAge + 2);
  // Runs whose fate at age k is known: those that ended before k, and those followed to k or beyond.
  const known = new Float64Array(maxAge + 2);
  s[0] = 1;
  let endedBefore = 0;
  for (let t = 0; t <= maxAge; t++) {
    atRisk[t] = n;
    known[t] = endedBefore + n;
    const dt = d[t]!;
    s[t + 1] = n > 0 ? s[t]! * (1 - dt / n) : s[t]!;
    g[t + 1] = g[t]! + (n > dt && dt > 0 ? dt / (n * (n - dt)) : 0);
    endedBefore += dt;
    n -= dt + c[t]!;
  }
  atRisk[maxAge + 1] = n;
  known[maxAge + 1] = endedBefore;
  const last = maxAge + 1;
  const idx = (h: number) => Math.min(h, last);
  // Known at age h: some run was still followed on day h - 1, or every run had already ended.
  const estimable = (h: number) => h >= 1 && n >= 0 && ((h - 1 <= maxAge && atRisk[h - 1]! > 0) || (maxAge >= 0 && s[idx(h)] === 0));
  return {
    at(h) {
      if (!estimable(h)) return null;
      const sv = s[idx(h)]!;
      const m = known[idx(h)]!;
      let ci: [number, number];
      if (sv <= 0 || sv >= 1) {
        // Greenwood says nothing at 0 or 1: the Wilson interval of the runs whose fate at h is known.
        ci = wilson(Math.round(sv * m), m);
      } else {
        // Log-log transformed Greenwood interval (stays within 0..1).
        const v = g[idx(h)]! / Math.log(sv) ** 2;
        const half = Z * Math.sqrt(v);
        ci = [sv ** Math.exp(half), sv ** Math.exp(-half)];
      }
      return { survival: sv, ci95: ci, atRisk: atRisk[idx(h)]! };
    },
    median() {
      // The median lifetime t: the first age at which P(lifetime > t) = s[t + 1] is at most one half.
      for (let k = 1; k <= last; k++) if (s[k]! <= 0.5) return k - 1;
      return null;
    },
    restrictedMean(tau) {
      if (!estimable(tau)) return null;
      let sum = 0;
      for (let k = 1; k <= tau; k++) sum += s[idx(k)]!;
      return sum;
    },
  };
}
