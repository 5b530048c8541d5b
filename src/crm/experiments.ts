/**
 * Randomized holdouts and the statistics of their comparison. Assignment is a hash of (salt, intervention
 * kind, subscriber): deterministic (the same subscriber is always in the same arm for a kind, across
 * passes and processes) and independent between kinds.
 */

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche: FNV alone leaves low bits of similar strings correlated.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A uniform number in [0, 1) fixed by (salt, kind, subscriber): the draw behind holdouts and campaign arms. */
export function unitDraw(salt: string, kind: string, subscriberId: number): number {
  return fnv1a(`${salt}|${kind}|${subscriberId}`) / 4294967296;
}

/** Whether the subscriber is in the holdout of this intervention kind. */
export function inHoldout(salt: string, kind: string, subscriberId: number, percent: number): boolean {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  return fnv1a(`${salt}|${kind}|${subscriberId}`) / 4294967296 < percent / 100;
}

const Z95 = 1.959963984540054;

/** Wilson score interval of a proportion. */
export function wilson(successes: number, n: number, z = Z95): [number, number] {
  if (n === 0) return [0, 1];
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export interface Uplift {
  treatment: { n: number; successes: number; rate: number | null };
  holdout: { n: number; successes: number; rate: number | null };
  /** Treatment rate minus holdout rate (percentage points as a fraction). */
  uplift: number | null;
  /** 95% interval of the difference (Newcombe's hybrid score method: sound for small groups and rates near 0 or 1). */
  ci95: [number, number] | null;
  /** Whether the interval excludes zero. */
  significant: boolean;
}

/** The difference of two proportions with its 95% confidence interval (Newcombe 1998, method 10). */
export function uplift(t: { n: number; successes: number }, h: { n: number; successes: number }): Uplift {
  const rate = (x: { n: number; successes: number }) => (x.n > 0 ? x.successes / x.n : null);
  const pt = rate(t);
  const ph = rate(h);
  const base = { treatment: { ...t, rate: pt }, holdout: { ...h, rate: ph } };
  if (pt === null || ph === null) return { ...base, uplift: null, ci95: null, significant: false };
  const [lt, ut] = wilson(t.successes, t.n);
  const [lh, uh] = wilson(h.successes, h.n);
  const d = pt - ph;
  const lower = d - Math.sqrt((pt - lt) ** 2 + (uh - ph) ** 2);
  const upper = d + Math.sqrt((ut - pt) ** 2 + (ph - lh) ** 2);
  return { ...base, uplift: d, ci95: [lower, upper], significant: lower > 0 || upper < 0 };
}

/** Difference of two means with a normal-approximation 95% interval (Welch), from sums and sums of squares. */
export function meanDifference(t: { n: number; sum: number; sumSq: number }, h: { n: number; sum: number; sumSq: number }): { difference: number | null; ci95: [number, number] | null } {
  if (t.n < 2 || h.n < 2) return { difference: t.n > 0 && h.n > 0 ? t.sum / t.n - h.sum / h.n : null, ci95: null };
  const mt = t.sum / t.n;
  const mh = h.sum / h.n;
  const vt = Math.max(0, (t.sumSq - t.n * mt * mt) / (t.n - 1));
  const vh = Math.max(0, (h.sumSq - h.n * mh * mh) / (h.n - 1));
  const se = Math.sqrt(vt / t.n + vh / h.n);
  const d = mt - mh;
  return { difference: d, ci95: [d - Z95 * se, d + Z95 * se] };
}

/** An effect on those reached with its interval; null when it cannot be estimated (nobody reached, an empty arm). */
export interface ReachedEffect {
  effect: number | null;
  ci95: [number, number] | null;
  significant: boolean;
}

/**
 * The effect on those the action reached (complier average causal effect, the Wald/IV estimator):
 * the intention-to-treat difference divided by the delivery rate d. It assumes the action can only work
 * on someone it reached, and that assignment is random (it is: the holdout hash). The 95% interval is
 * the delta method on (ITT, d): Var = Var(ITT)/d^2 + ITT^2 Var(d)/d^4 - 2 ITT Cov(ITT, d)/d^3, where the
 * covariance comes from the treatment arm (outcome and delivery are measured on the same subscribers;
 * the holdout is independent of d). Fieller's interval would be wider when d is near zero; the delta
 * method is kept for its simplicity and the report shows d's own interval beside it.
 */
export function effectOnReached(itt: number, ittVariance: number, delivery: { rate: number; variance: number }, covIttDelivery: number): ReachedEffect {
  const d = delivery.rate;
  if (!(d > 0)) return { effect: null, ci95: null, significant: false };
  const effect = itt / d;
  const variance = ittVariance / (d * d) + ((itt * itt) / d ** 4) * delivery.variance - ((2 * itt) / d ** 3) * covIttDelivery;
  const se = Math.sqrt(Math.max(0, variance));
  const ci95: [number, number] = [effect - Z95 * se, effect + Z95 * se];
  return { effect, ci95, significant: ci95[0] > 0 || ci95[1] < 0 };
}

/**
 * Effect on those reached for a share (returned, renewed, ...): `t` and `h` are the arms (size and
 * successes), `reached` how many treated the action reached, `both` how many treated were reached and
 * had the outcome. The ITT's variance is read off its Newcombe interval, so a share of 0 or 1 in a small
 * group still carries the uncertainty the plug-in p(1-p)/n would set to zero.
 */
export function reachedUplift(t: { n: number; successes: number }, h: { n: number; successes: number }, reached: number, both: number): ReachedEffect {
  const u = uplift(t, h);
  if (u.uplift === null || u.ci95 === null) return { effect: null, ci95: null, significant: false };
  const pt = t.successes / t.n;
  const d = reached / t.n;
  const seItt = (u.ci95[1] - u.ci95[0]) / (2 * Z95);
  const e = effectOnReached(u.uplift, seItt * seItt, { rate: d, variance: (d * (1 - d)) / t.n }, (both / t.n - pt * d) / t.n);
  if (!e.ci95) return e;
  // A difference of shares lies within [-1, 1] whatever the approximation says.
  const ci95: [number, number] = [Math.max(-1, e.ci95[0]), Math.min(1, e.ci95[1])];
  return { ...e, ci95, significant: ci95[0] > 0 || ci95[1] < 0 };
}

/**
 * Effect on those reached for a mean (revenue per subscriber) from sums: `sum`/`sumSq` of the value per
 * arm, `reached` treated reached and `sumReached` the value summed over them (Welch variances).
 */
export function reachedMeanDifference(
  t: { n: number; sum: number; sumSq: number },
  h: { n: number; sum: number; sumSq: number },
  reached: number,
  sumReached: number,
): ReachedEffect {
  if (t.n < 2 || h.n < 2) return { effect: null, ci95: null, significant: false };
  const mt = t.sum / t.n;
  const mh = h.sum / h.n;
  const vt = Math.max(0, (t.sumSq - t.n * mt * mt) / (t.n - 1));
  const vh = Math.max(0, (h.sumSq - h.n * mh * mh) / (h.n - 1));
  const d = reached / t.n;
  return effectOnReached(mt - mh, vt / t.n + vh / h.n, { rate: d, variance: (d * (1 - d)) / t.n }, (sumReached / t.n - mt * d) / t.n);
}
