import type { Days } from '../crm/days';
import { OUTCOME_GRACE_MS } from '../crm/outcomes';
import { QUARTER, type InterventionsStore } from './stores/interventions-store';

/**
 * Interventions whose outcome window is still open, per kind: how many (per arm), when the first and
 * last windows close, and how many close on each local day, so a report that waits for complete
 * windows says what it is waiting for. Figures for an intervention are final one grace period (late
 * events) after its window closes.
 */
export async function pendingOutcomes(store: InterventionsStore, days: Days, r: { from: number; to: number }, kind: string | undefined): Promise<Record<string, unknown>[]> {
  const buckets = await store.pendingBuckets(r.from, r.to, kind || null);
  const kinds = new Map<string, { kind: string; treatment: number; holdout: number; first: number; last: number; byDay: Map<string, number> }>();
  for (const b of buckets) {
    const k = kinds.get(b.kind) ?? { kind: b.kind, treatment: 0, holdout: 0, first: b.first, last: b.last, byDay: new Map<string, number>() };
    if (b.arm === 'holdout') k.holdout += b.n;
    else k.treatment += b.n;
    k.first = Math.min(k.first, b.first);
    k.last = Math.max(k.last, b.last);
    const day = days.iso(days.of(b.q * QUARTER));
    k.byDay.set(day, (k.byDay.get(day) ?? 0) + b.n);
    kinds.set(b.kind, k);
  }
  return [...kinds.values()]
    .sort((a, b) => a.kind.localeCompare(b.kind))
    .map((a) => ({
      kind: a.kind,
      interventions: a.treatment + a.holdout,
      treatment: a.treatment,
      holdout: a.holdout,
      firstWindowClosesAt: new Date(a.first).toISOString(),
      lastWindowClosesAt: new Date(a.last).toISOString(),
      allFinalAt: new Date(a.last + OUTCOME_GRACE_MS).toISOString(),
      closingByDay: [...a.byDay].sort(([x], [y]) => x.localeCompare(y)).map(([day, count]) => ({ day, count })),
    }));
}
