/**
 * Nelder–Mead simplex minimisation: derivative-free, robust on the smooth, low-dimensional likelihoods of
 * BG/BB (4 parameters) and sBG (2). Parameters are optimised on a log scale by the callers so they stay
 * positive.
 */
export interface MinimizeOptions {
  /** Largest number of function evaluations. */
  maxEvals?: number;
  /** Stop when the simplex's function values differ by less than this. */
  tolerance?: number;
  /** Initial step per coordinate. */
  step?: number;
}

export interface MinimizeResult {
  x: number[];
  value: number;
  evals: number;
  converged: boolean;
}

/** Minimises `f` from `start`; non-finite values count as +Infinity. */
export function minimize(f: (x: number[]) => number, start: number[], opts: MinimizeOptions = {}): MinimizeResult {
  const n = start.length;
  const maxEvals = opts.maxEvals ?? 2000;
  const tol = opts.tolerance ?? 1e-9;
  const step = opts.step ?? 0.5;
  let evals = 0;
  const fx = (x: number[]): number => {
    evals++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  let simplex: { x: number[]; v: number }[] = [{ x: [...start], v: fx(start) }];
  for (let i = 0; i < n; i++) {
    const x = [...start];
    x[i] = x[i]! + step;
    simplex.push({ x, v: fx(x) });
  }
  const combine = (a: number[], b: number[], t: number) => a.map((ai, i) => ai + t * (b[i]! - ai));
  let converged = false;
  while (evals < maxEvals) {
    simplex.sort((p, q) => p.v - q.v);
    const best = simplex[0]!;
    const worst = simplex[n]!;
    if (Math.abs(worst.v - best.v) <= tol * (1 + Math.abs(best.v))) {
      converged = true;
      break;
    }
    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j]! += simplex[i]!.x[j]! / n;
    const reflected = combine(centroid, worst.x, -1);
    const rv = fx(reflected);
    if (rv < best.v) {
      const expanded = combine(centroid, worst.x, -2);
      const ev = fx(expanded);
      simplex[n] = ev < rv ? { x: expanded, v: ev } : { x: reflected, v: rv };
      continue;
    }
    if (rv < simplex[n - 1]!.v) {
      simplex[n] = { x: reflected, v: rv };
      continue;
    }
    const outside = rv < worst.v;
    const contracted = combine(centroid, worst.x, outside ? -0.5 : 0.5);
    const cv = fx(contracted);
    if (cv < (outside ? rv : worst.v)) {
      simplex[n] = { x: contracted, v: cv };
      continue;
    }
    // Shrink towards the best point.
    simplex = simplex.map((p, i) => (i === 0 ? p : { x: combine(best.x, p.x, 0.5), v: NaN }));
    for (let i = 1; i <= n; i++) simplex[i]!.v = fx(simplex[i]!.x);
  }
  simplex.sort((p, q) => p.v - q.v);
  return { x: simplex[0]!.x, value: simplex[0]!.v, evals, converged };
}

/** Minimises with a few restarts from the best point found, which escapes an early collapsed simplex. */
export function minimizeWithRestarts(f: (x: number[]) => number, start: number[], opts: MinimizeOptions & { restarts?: number } = {}): MinimizeResult {
  let r = minimize(f, start, opts);
  let evals = r.evals;
  for (let i = 0; i < (opts.restarts ?? 2); i++) {
    const next = minimize(f, r.x, { ...opts, step: (opts.step ?? 0.5) / (i + 2) });
    evals += next.evals;
    const improved = next.value < r.value - 1e-10 * (1 + Math.abs(r.value));
    if (next.value <= r.value) r = next;
    if (!improved) break;
  }
  return { ...r, evals };
}
