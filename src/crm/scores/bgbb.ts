import { lgamma, logAddExp } from './special';
import { minimizeWithRestarts } from './nelder-mead';

/**
 * BG/BB (Fader, Hardie & Shang 2010): a model of discrete activity, one opportunity per day. While
 * "alive" a subscriber is active on a day with probability p ~ Beta(a, b); after each day they "die" (stop
 * using the service for good) with probability θ ~ Beta(g, d). Activity history is summarised by x active
 * days among n opportunities after the first day, the last one at t_x.
 */
export interface BgbbParams {
  a: number;
  b: number;
  g: number;
  d: number;
}

/** One group of subscribers sharing a history summary. */
export interface BgbbGroup {
  x: number;
  tx: number;
  n: number;
  count: number;
}

// lgamma(c + k) for k = 0..len-1, so the likelihood costs additions instead of Lanczos sums.
function lgammaTable(c: number, len: number): Float64Array {
  const t = new Float64Array(len);
  t[0] = lgamma(c);
  for (let k = 1; k < len; k++) t[k] = t[k - 1]! + Math.log(c + k - 1);
  return t;
}

interface Tables {
  la: Float64Array;
  lb: Float64Array;
  lab: Float64Array;
  ld: Float64Array;
  lgd: Float64Array;
  lbetaAB: number;
  lbetaGD: number;
  lgG: number;
  lgG1: number;
}

function tables(p: BgbbParams, maxN: number): Tables {
  const len = maxN + 2;
  return {
    la: lgammaTable(p.a, len),
    lb: lgammaTable(p.b, len),
    lab: lgammaTable(p.a + p.b, len),
    ld: lgammaTable(p.d, len),
    lgd: lgammaTable(p.g + p.d, len + 1),
    lbetaAB: lgamma(p.a) + lgamma(p.b) - lgamma(p.a + p.b),
    lbetaGD: lgamma(p.g) + lgamma(p.d) - lgamma(p.g + p.d),
    lgG: lgamma(p.g),
    lgG1: lgamma(p.g + 1),
  };
}

/** ln of the first likelihood term (alive through n) and of the whole likelihood, for one history. */
function logParts(p: BgbbParams, t: Tables, x: number, tx: number, n: number): { logA: number; logL: number } {
  // A = B(a+x, b+n-x)/B(a,b) · B(g, d+n)/B(g,d)
  const logA = t.la[x]! + t.lb[n - x]! - t.lab[n]! - t.lbetaAB + (t.lgG + t.ld[n]! - t.lgd[n]!) - t.lbetaGD;
  if (tx >= n) return { logA, logL: logA };
  // Terms of the sum for i = 0..n-tx-1: died after day tx+i. Each term is the previous one times two
  // factors below 1, so the sum is accumulated in linear space relative to the first term.
  const logT0 = t.la[x]! + t.lb[tx - x]! - t.lab[tx]! - t.lbetaAB + (t.lgG1 + t.ld[tx]! - t.lgd[tx + 1]!) - t.lbetaGD;
  let term = 1;
  let sum = 1;
  for (let i = 0; i < n - tx - 1; i++) {
    term *= ((p.b + tx - x + i) / (p.a + p.b + tx + i)) * ((p.d + tx + i) / (p.g + p.d + tx + i + 1));
    sum += term;
  }
  return { logA, logL: logAddExp(logA, logT0 + Math.log(sum)) };
}

/** Log-likelihood of grouped histories. */
export function bgbbLogLikelihood(p: BgbbParams, groups: readonly BgbbGroup[]): number {
  let maxN = 0;
  for (const g of groups) if (g.n > maxN) maxN = g.n;
  const t = tables(p, maxN);
  let ll = 0;
  for (const g of groups) ll += g.count * logParts(p, t, g.x, g.tx, g.n).logL;
  return ll;
}

/** Probability of one history (x active days out of n, the last at t_x). */
export function bgbbLikelihood(p: BgbbParams, x: number, tx: number, n: number): number {
  return Math.exp(logParts(p, tables(p, n), x, tx, n).logL);
}

/** P(alive) after n opportunities for a subscriber active x times, the last at t_x (docs/domain.md). */
export function pAlive(p: BgbbParams, x: number, tx: number, n: number): number {
  if (tx >= n) return 1;
  const { logA, logL } = logParts(p, tables(p, n), x, tx, n);
  return Math.min(1, Math.exp(logA - logL));
}

/**
 * A P(alive) calculator for many subscribers with the same parameters: tables are built once and grown
 * as larger n appear, and results are cached per (x, t_x, n).
 */
export class PAliveCache {
  private t: Tables;
  private maxN: number;
  private readonly memo = new Map<number, number>();

  constructor(readonly params: BgbbParams, maxN = 400) {
    this.maxN = maxN;
    this.t = tables(params, maxN);
  }

  /** P(alive) for a history; cached. */
  get(x: number, tx: number, n: number): number {
    if (tx >= n) return 1;
    if (n > this.maxN) {
      this.maxN = Math.max(n, this.maxN * 2);
      this.t = tables(this.params, this.maxN);
    }
    const key = (x * 4096 + tx) * 4096 + n;
    let v = this.memo.get(key);
    if (v === undefined) {
      const { logA, logL } = logParts(this.params, this.t, x, tx, n);
      v = Math.min(1, Math.exp(logA - logL));
      if (this.memo.size < 2_000_000) this.memo.set(key, v);
    }
    return v;
  }

  /**
   * The first n at which P(alive) drops below `threshold` for a history (x, t_x), searched up to t_x +
   * `maxGap`; null if it stays above. P(alive) only falls while no activity comes, so this is when a quiet
   * subscriber crosses the line.
   */
  crossing(x: number, tx: number, threshold: number, maxGap = 365): number | null {
    let lo = tx + 1;
    let hi = tx + maxGap;
    if (this.get(x, tx, hi) >= threshold) return null;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.get(x, tx, mid) < threshold) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/**
 * Expected active days in the next `days` opportunities: P(alive) · E[p | history] · Σ_t P(still alive
 * t days later | alive now). Given alive at n, p ~ Beta(a+x, b+n-x) and θ ~ Beta(g, d+n) independently.
 */
export function expectedActiveDays(p: BgbbParams, x: number, tx: number, n: number, days: number, alive = pAlive(p, x, tx, n)): number {
  const meanP = (p.a + x) / (p.a + p.b + n);
  let surv = 1;
  let sum = 0;
  for (let t = 1; t <= days; t++) {
    // B(g, d+n+t)/B(g, d+n+t-1) = (d+n+t-1)/(g+d+n+t-1)
    surv *= (p.d + n + t - 1) / (p.g + p.d + n + t - 1);
    sum += surv;
  }
  return alive * meanP * sum;
}

/**
 * Expected remaining active lifetime in days (still alive), discounted per day and cut at `horizonDays`:
 * P(alive) · Σ_t S(t | alive now) (1+r)^-t.
 */
export function residualLifetimeDays(p: BgbbParams, n: number, alive: number, dailyDiscount: number, horizonDays: number): number {
  let surv = 1;
  let sum = 0;
  let disc = 1;
  for (let t = 1; t <= horizonDays; t++) {
    surv *= (p.d + n + t - 1) / (p.g + p.d + n + t - 1);
    disc /= 1 + dailyDiscount;
    sum += surv * disc;
  }
  return alive * sum;
}

export interface BgbbFit {
  params: BgbbParams;
  logLikelihood: number;
  subscribers: number;
  converged: boolean;
  evals: number;
}

/** Maximum-likelihood fit of BG/BB to grouped histories (Nelder–Mead on log parameters). */
export function fitBgbb(groups: readonly BgbbGroup[], start: BgbbParams = { a: 1, b: 1, g: 1, d: 1 }, maxEvals = 3000): BgbbFit {
  const valid = groups.filter((g) => g.count > 0 && g.n >= 0 && g.x >= 0 && g.x <= g.tx && g.tx <= g.n && (g.x > 0 || g.tx === 0));
  // Histories sharing (x, t_x) differ only in how long the quiet tail is, so sorting lets the sum be reused.
  const sorted = [...valid].sort((p, q) => p.x - q.x || p.tx - q.tx || p.n - q.n);
  let maxN = 0;
  let subscribers = 0;
  for (const g of sorted) {
    if (g.n > maxN) maxN = g.n;
    subscribers += g.count;
  }
  const negLL = (v: number[]) => {
    const p = { a: Math.exp(v[0]!), b: Math.exp(v[1]!), g: Math.exp(v[2]!), d: Math.exp(v[3]!) };
    if (![p.a, p.b, p.g, p.d].every((z) => z > 1e-6 && z < 1e6)) return Infinity;
    const t = tables(p, maxN);
    let ll = 0;
    let prevX = -1;
    let prevTx = -1;
    let term = 1;
    let sum = 1;
    let upTo = 0; // the sum currently covers i = 0..upTo-1
    let logT0 = 0;
    for (const g of sorted) {
      const { x, tx, n } = g;
      const logA = t.la[x]! + t.lb[n - x]! - t.lab[n]! - t.lbetaAB + (t.lgG + t.ld[n]! - t.lgd[n]!) - t.lbetaGD;
      if (tx >= n) {
        ll += g.count * logA;
        continue;
      }
      if (x !== prevX || tx !== prevTx) {
        prevX = x;
        prevTx = tx;
        logT0 = t.la[x]! + t.lb[tx - x]! - t.lab[tx]! - t.lbetaAB + (t.lgG1 + t.ld[tx]! - t.lgd[tx + 1]!) - t.lbetaGD;
        term = 1;
        sum = 1;
        upTo = 1;
      }
      while (upTo < n - tx) {
        const i = upTo - 1;
        term *= ((p.b + tx - x + i) / (p.a + p.b + tx + i)) * ((p.d + tx + i) / (p.g + p.d + tx + i + 1));
        sum += term;
        upTo++;
      }
      ll += g.count * logAddExp(logA, logT0 + Math.log(sum));
    }
    return -ll;
  };
  const r = minimizeWithRestarts(negLL, [Math.log(start.a), Math.log(start.b), Math.log(start.g), Math.log(start.d)], { maxEvals, tolerance: 1e-10, step: 0.7 });
  return {
    params: { a: Math.exp(r.x[0]!), b: Math.exp(r.x[1]!), g: Math.exp(r.x[2]!), d: Math.exp(r.x[3]!) },
    logLikelihood: -r.value,
    subscribers,
    converged: r.converged,
    evals: r.evals,
  };
}
