/**
 * What makes a maximum-likelihood fit honest: parameters kept inside bounds, an optional weak prior that
 * pulls a small cohort towards the pooled fit, and the uncertainty of the estimate from the observed
 * information (the numerical Hessian of the negative log-likelihood at the optimum).
 */

/** Bounds and prior of a fit; parameters are optimised on a log scale. */
export interface FitOptions<P> {
  /** Smallest and largest value any parameter may take. */
  bounds?: { min: number; max: number };
  /** Centre of a log-normal prior per parameter (the pooled fit), and its standard deviation on the log scale. */
  prior?: { centre: P; sd: number };
}

/** Uncertainty of one parameter: standard error of its log and the 95% interval it implies. */
export interface ParamInterval {
  estimate: number;
  /** Standard error of ln(parameter), from the inverse observed information. */
  seLog: number | null;
  /** 95% interval: exp(ln θ̂ ± 1.96 · seLog). */
  low: number | null;
  high: number | null;
}

/** Fit quality as the reports show it. */
export interface FitQuality {
  /** Subscribers (BG/BB) or subscriptions (sBG) the fit saw. */
  n: number;
  /** Log-likelihood of the data at the estimate (the prior not included). */
  logLikelihood: number;
  converged: boolean;
  /** Whether the information matrix was invertible: false means the data cannot pin the parameters down. */
  identified: boolean;
  /** A parameter sits on a bound: the data pushed it as far as it was allowed. */
  atBound: string[];
  /** Whether a prior centred on the pooled fit was part of the likelihood. */
  shrunk: boolean;
  params: Record<string, ParamInterval>;
}

export const DEFAULT_BOUNDS = { min: 0.01, max: 1000 };

/** Penalty (negative log density, up to a constant) of a log-normal prior centred on `centre`. */
export function priorPenalty(logValues: readonly number[], logCentre: readonly number[], sd: number): number {
  let s = 0;
  for (let i = 0; i < logValues.length; i++) {
    const z = (logValues[i]! - logCentre[i]!) / sd;
    s += 0.5 * z * z;
  }
  return s;
}

/** Whether log-scale values lie inside the bounds. */
export function inBounds(logValues: readonly number[], bounds: { min: number; max: number }): boolean {
  const lo = Math.log(bounds.min);
  const hi = Math.log(bounds.max);
  return logValues.every((v) => v >= lo && v <= hi);
}

/** Clamps log-scale values into the bounds (a start point outside them would never move). */
export function clampLog(logValues: readonly number[], bounds: { min: number; max: number }): number[] {
  const lo = Math.log(bounds.min);
  const hi = Math.log(bounds.max);
  return logValues.map((v) => Math.min(hi, Math.max(lo, v)));
}

/** Central-difference Hessian of `f` at `x`. */
export function numericalHessian(f: (x: number[]) => number, x: readonly number[], h = 1e-3): number[][] {
  const n = x.length;
  const at = (d: [number, number][]) => {
    const y = [...x];
    for (const [i, s] of d) y[i] = y[i]! + s;
    return f(y);
  };
  const f0 = f([...x]);
  const H = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    H[i]![i] = (at([[i, h]]) - 2 * f0 + at([[i, -h]])) / (h * h);
    for (let j = i + 1; j < n; j++) {
      const v = (at([[i, h], [j, h]]) - at([[i, h], [j, -h]]) - at([[i, -h], [j, h]]) + at([[i, -h], [j, -h]])) / (4 * h * h);
      H[i]![j] = v;
      H[j]![i] = v;
    }
  }
  return H;
}

/** Inverse of a symmetric positive-definite matrix (Cholesky); null when it is not positive definite. */
export function invertSpd(A: readonly (readonly number[])[]): number[][] | null {
  const n = A.length;
  const L = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i]![j]!;
      for (let k = 0; k < j; k++) s -= L[i]![k]! * L[j]![k]!;
      if (i === j) {
        if (!(s > 0) || !Number.isFinite(s)) return null;
        L[i]![i] = Math.sqrt(s);
      } else L[i]![j] = s / L[j]![j]!;
    }
  }
  // A^-1 = L^-T L^-1: solve for each unit vector.
  const inv = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let c = 0; c < n; c++) {
    const y = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) s -= L[i]![k]! * y[k]!;
      y[i] = s / L[i]![i]!;
    }
    const x = new Array<number>(n).fill(0);
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i]!;
      for (let k = i + 1; k < n; k++) s -= L[k]![i]! * x[k]!;
      x[i] = s / L[i]![i]!;
    }
    for (let i = 0; i < n; i++) inv[i]![c] = x[i]!;
  }
  return inv;
}

/**
 * Intervals of a fit from the observed information of `negLogPosterior` (on log parameters) at `xLog`.
 * With a prior in the objective these are posterior (Laplace) intervals, which is what a shrunk estimate
 * should be judged by.
 */
export function fitQuality(
  names: readonly string[],
  negLogPosterior: (x: number[]) => number,
  xLog: readonly number[],
  info: { n: number; logLikelihood: number; converged: boolean; shrunk: boolean; bounds: { min: number; max: number } },
): FitQuality {
  const H = numericalHessian(negLogPosterior, xLog);
  const cov = invertSpd(H);
  const params: Record<string, ParamInterval> = {};
  const atBound: string[] = [];
  const lo = Math.log(info.bounds.min);
  const hi = Math.log(info.bounds.max);
  names.forEach((name, i) => {
    const x = xLog[i]!;
    if (x - lo < 1e-3 || hi - x < 1e-3) atBound.push(name);
    const v = cov ? cov[i]![i]! : NaN;
    const se = Number.isFinite(v) && v > 0 ? Math.sqrt(v) : null;
    params[name] = { estimate: Math.exp(x), seLog: se, low: se === null ? null : Math.exp(x - 1.96 * se), high: se === null ? null : Math.exp(x + 1.96 * se) };
  });
  return { n: info.n, logLikelihood: info.logLikelihood, converged: info.converged, identified: cov !== null && atBound.length === 0, atBound, shrunk: info.shrunk, params };
}
