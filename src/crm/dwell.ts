/**
 * Dwell time per screen as a log-spaced histogram: daily rows merge by adding buckets, and the funnel
 * report reads a median from the merged counts.
 */

// Bucket upper bounds in seconds: 1 s, 2 s, 3 s, 5 s, ... 10 min, then everything longer.
export const DWELL_BOUNDS = [1, 2, 3, 5, 7, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600];

/** The bucket of a dwell time in milliseconds. */
export function dwellBucket(ms: number): number {
  const s = ms / 1000;
  for (let i = 0; i < DWELL_BOUNDS.length; i++) if (s <= DWELL_BOUNDS[i]!) return i;
  return DWELL_BOUNDS.length;
}

/** Adds `src` into `dst` bucket by bucket (either may be shorter). */
export function mergeHistogram(dst: number[], src: readonly number[]): number[] {
  for (let i = 0; i < src.length; i++) dst[i] = (dst[i] ?? 0) + (src[i] ?? 0);
  return dst;
}

/** The median in seconds, interpolated inside its bucket; null without observations. */
export function histogramMedian(h: readonly number[]): number | null {
  const total = h.reduce((s, v) => s + (v ?? 0), 0);
  if (total === 0) return null;
  const half = total / 2;
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    const c = h[i] ?? 0;
    if (seen + c >= half && c > 0) {
      const lo = i === 0 ? 0 : DWELL_BOUNDS[i - 1]!;
      const hi = DWELL_BOUNDS[i] ?? lo * 2;
      return Math.round((lo + ((half - seen) / c) * (hi - lo)) * 10) / 10;
    }
    seen += c;
  }
  return DWELL_BOUNDS[DWELL_BOUNDS.length - 1]!;
}
