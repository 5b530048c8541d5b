import type { Days } from '../crm/days';
import { OUTCOME_GRACE_MS } from '../crm/outcomes';
import type { Db } from '../db/client';

// Every time zone's offset is a whole number of quarter hours, so quarter-hour buckets map to local days exactly.
const QUARTER = 15 * 60_000;

/**
 * Interventions whose outcome window is still open, per kind: how many (per arm), when the first and
 * last windows close, and how many close on each local day, so a report that waits for complete
 * windows says what it is waiting for. Figures for an intervention are final one grace period (late
 * events) after its window closes.
 */
export function pendingOutcomes(db: Db, days: Days, r: { from: number; to: number }, kind: string | undefined): Record<string, unknown>[] {
  const where = `at BETWEEN @from AND @to AND outcome_closed = 0${kind ? ' AND kind = @kind' : ''}`;
  const params = { from: r.from, to: r.to, ...(kind ? { kind } : {}) };
  const c = db.$client;
  const arms = c
    .prepare(
      `SELECT kind, sum(arm = 'treatment') AS treatment, sum(arm = 'holdout') AS holdout, min(window_ends_at) AS first, max(window_ends_at) AS last
       FROM crm_interventions WHERE ${where} GROUP BY kind ORDER BY kind`,
    )
    .all(params) as { kind: string; treatment: number; holdout: number; first: number; last: number }[];
  const buckets = c.prepare(`SELECT kind, window_ends_at / ${QUARTER} AS q, count(*) AS n FROM crm_interventions WHERE ${where} GROUP BY kind, q ORDER BY kind, q`).all(params) as {
    kind: string;
    q: number;
    n: number;
  }[];
  return arms.map((a) => {
    const byDay = new Map<string, number>();
    for (const b of buckets) {
      if (b.kind !== a.kind) continue;
      const day = days.iso(days.of(b.q * QUARTER));
      byDay.set(day, (byDay.get(day) ?? 0) + b.n);
    }
    return {
      kind: a.kind,
      interventions: a.treatment + a.holdout,
      treatment: a.treatment,
      holdout: a.holdout,
      firstWindowClosesAt: new Date(a.first).toISOString(),
      lastWindowClosesAt: new Date(a.last).toISOString(),
      allFinalAt: new Date(a.last + OUTCOME_GRACE_MS).toISOString(),
      closingByDay: [...byDay].map(([day, count]) => ({ day, count })),
    };
  });
}
